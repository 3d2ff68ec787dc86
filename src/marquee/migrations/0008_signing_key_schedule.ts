import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- a rotated-in key is published before it signs, so Tandem's cached JWK Set has it by then;
    -- the key it replaces signs until that moment (its retired_at) and stays published a day after
    alter table signing_keys add column signs_from timestamptz;
    update signing_keys set signs_from = created_at;
    alter table signing_keys alter column signs_from set not null;
    `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(db, 'alter table signing_keys drop column signs_from;')
}
