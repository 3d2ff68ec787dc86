import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- A partner send reads a recipient's partner messages today before it holds their ledger lock, so another
    -- sender's send to them can commit in between. The statement that writes the send, which runs after the
    -- lock is held, counts again and calls this when the recipient's cap would be passed: the transaction
    -- fails as a serialization failure and the send runs again, reading after the lock. (runScript splits
    -- statements at a semicolon that ends a line: the body's one semicolon does not.)
    create function partner_send_conflict() returns boolean language plpgsql volatile as $$
      begin
        raise exception 'a recipient received another partner message while this send was being decided'
          using errcode = '40001'; end
    $$;
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(db, 'drop function partner_send_conflict();')
}
