import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- what clipping each sender-day at the default bound removes from each of its cells (only sender-days
    -- over the bound, only cells with something removed), kept current at ingest
    create table sender_day_clips (
      day date not null,
      sender_id uuid not null,
      interface text not null,
      surface text not null,
      variant text not null,
      recipient_type text not null,
      sends integer not null,
      clicks integer not null,
      unique_clicks integer not null,
      primary key (day, sender_id, interface, surface, variant, recipient_type)
    );

    -- the same summed per cell: a report at the default bound subtracts these from share_rollups
    create table share_rollups_clipped (
      day date not null,
      interface text not null,
      surface text not null,
      variant text not null,
      recipient_type text not null,
      sends integer not null default 0,
      clicks integer not null default 0,
      unique_clicks integer not null default 0,
      primary key (day, interface, surface, variant, recipient_type)
    );

    -- the bound and the variants the two tables above were worked out for; no row, no precomputed clipping
    -- (a database with sender-days already recorded gets one from a full rollup rebuild)
    create table clip_precompute (
      bound integer primary key,
      variants text[] not null
    );
    insert into clip_precompute (bound, variants)
    select 20, array['classic', 'quick'] where not exists (select 1 from sender_daily_sends);
    `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(db, 'drop table clip_precompute, share_rollups_clipped, sender_day_clips;')
}
