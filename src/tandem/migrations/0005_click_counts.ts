import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- The click recorder writes one row per link per flush: how many clicks that flush saw on the link,
    -- stamped with the first of them. Rows written before this migration are one click each.
    alter table link_clicks add column clicks integer not null default 1 check (clicks > 0);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(db, 'alter table link_clicks drop column clicks;')
}
