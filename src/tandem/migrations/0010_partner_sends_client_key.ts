import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- Every partner send named its partner's one partner_apps row through this foreign key, and checking it
    -- takes a KEY SHARE lock on that row: concurrent sends of one partner all locked the same tuple (a new
    -- multixact and a WAL record each time, under that page's exclusive lock). Partner apps are never
    -- deleted (an agreement ends; the app and its history stay), and a send's client_id comes from a
    -- verified access token of a registered app, so the key guarded nothing the code does not.
    alter table partner_sends drop constraint partner_sends_client_id_fkey;
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `alter table partner_sends add constraint partner_sends_client_id_fkey
      foreign key (client_id) references partner_apps(client_id) on delete cascade;`,
  )
}
