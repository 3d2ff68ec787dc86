import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- per-sender cell counts an ingest batch added, as parallel arrays (one row per batch; a cell is
    -- 'day|interface|surface|variant|recipient type'), waiting to be added to sender_daily_sends and
    -- sender_day_totals by another connection (events/sender-counts.ts); a row is deleted in the
    -- transaction that applies it, so each is applied exactly once
    create table sender_counts_queue (
      id bigint generated always as identity primary key,
      queued_at timestamptz not null default now(),
      cell text[] not null,
      sender_id uuid[] not null,
      sends integer[] not null,
      clicks integer[] not null,
      unique_clicks integer[] not null
    );
    `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(db, 'drop table sender_counts_queue;')
}
