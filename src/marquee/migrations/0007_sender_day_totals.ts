import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- per sender per UTC day, over every cell: the sums of sender_daily_sends, kept current at ingest, so a
    -- report finds the sender-days it must clip without reading every sender-day of the period
    create table sender_day_totals (
      day date not null,
      sender_id uuid not null,
      sends integer not null default 0,
      clicks integer not null default 0,
      primary key (day, sender_id)
    );
    -- only the sender-days over the default clipping bound (20): an index range over the few to clip
    create index sender_day_totals_over_idx on sender_day_totals (day, sender_id)
      where greatest(sends, clicks) > 20;
    insert into sender_day_totals (day, sender_id, sends, clicks)
    select day, sender_id, sum(sends), sum(clicks) from sender_daily_sends group by day, sender_id;
    `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(db, 'drop table sender_day_totals;')
}
