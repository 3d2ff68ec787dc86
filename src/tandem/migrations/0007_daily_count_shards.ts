import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- A day's count for one partner and context was one row that every concurrent send updated and held
    -- locked until it committed. Sends now add to one of a few shards of it (chosen by sender), so senders
    -- rarely wait on each other; readers sum the shards. Clicks, counted in batches, stay on shard 0.
    alter table partner_daily_counts add column shard smallint not null default 0 check (shard >= 0);
    alter table partner_daily_counts drop constraint partner_daily_counts_pkey;
    alter table partner_daily_counts add primary key (client_id, day, interface, surface, variant, shard);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create temporary table merged_daily_counts as
      select client_id, day, interface, surface, variant, sum(sends)::int as sends, sum(clicks)::int as clicks,
        sum(unique_clicks)::int as unique_clicks
      from partner_daily_counts group by client_id, day, interface, surface, variant;
    delete from partner_daily_counts;
    alter table partner_daily_counts drop constraint partner_daily_counts_pkey;
    alter table partner_daily_counts drop column shard;
    insert into partner_daily_counts (client_id, day, interface, surface, variant, sends, clicks, unique_clicks)
      select * from merged_daily_counts;
    drop table merged_daily_counts;
    alter table partner_daily_counts add primary key (client_id, day, interface, surface, variant);
  `,
  )
}
