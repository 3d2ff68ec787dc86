import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- A partner send takes its sender's turn first: it bumps the sender's row here and holds the row lock
    -- until it commits, so one sender's sends run one at a time (the daily caps count them exactly). The
    -- version tells a send whether another send of the same sender committed after the snapshot of its
    -- first statement was taken; if none did, that statement's reads are as fresh as ones made after the lock.
    create table partner_sender_turns (
      user_id uuid primary key references users(id) on delete cascade,
      version bigint not null
    );
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(db, 'drop table partner_sender_turns;')
}
