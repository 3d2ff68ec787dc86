import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- A send counts the sender's sends and each recipient's partner messages of the day (caps). Indexed by
    -- created_at, those counts visited every send the sender or recipient ever had and filtered on day;
    -- indexed by day, they read that day's entries only. (The leading columns stay, for the cascades.)
    create index partner_sends_sender_day_idx on partner_sends (client_id, sender_id, day);
    create index partner_sends_recipient_day_idx on partner_sends (recipient_id, day);
    drop index partner_sends_sender_idx;
    drop index partner_sends_recipient_idx;
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create index partner_sends_sender_idx on partner_sends (client_id, sender_id, created_at);
    create index partner_sends_recipient_idx on partner_sends (recipient_id, created_at);
    drop index partner_sends_sender_day_idx;
    drop index partner_sends_recipient_day_idx;
  `,
  )
}
