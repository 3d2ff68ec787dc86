import type { Clock } from '../../lib/clock.ts'
import { notFound } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import type { Db } from '../db.ts'

async function requirePartnerApp(db: Db, clientId: string) {
  const app = await db
    .selectFrom('partner_apps')
    .select('client_id')
    .where('client_id', '=', clientId)
    .executeTakeFirst()
  if (!app) throw notFound('partner')
}

/** After this, the partner's messages no longer reach the user (privacy rule 5). */
export async function mutePartner(db: Db, clock: Clock, userId: string, clientId: string): Promise<void> {
  await requirePartnerApp(db, clientId)
  await db
    .insertInto('partner_mutes')
    .values({ user_id: userId, client_id: clientId, created_at: clock.now() })
    .onConflict((oc) => oc.columns(['user_id', 'client_id']).doNothing())
    .execute()
}

export async function unmutePartner(db: Db, userId: string, clientId: string): Promise<void> {
  await db
    .deleteFrom('partner_mutes')
    .where('user_id', '=', userId)
    .where('client_id', '=', clientId)
    .execute()
}

/** The partners the user muted, newest first, with the name they see them under. */
export async function listMutedPartners(db: Db, userId: string) {
  const rows = await db
    .selectFrom('partner_mutes')
    .innerJoin('partner_apps', 'partner_apps.client_id', 'partner_mutes.client_id')
    .select(['partner_mutes.client_id', 'partner_apps.name', 'partner_mutes.created_at'])
    .where('partner_mutes.user_id', '=', userId)
    .orderBy('partner_mutes.created_at', 'desc')
    .orderBy('partner_mutes.client_id')
    .execute()
  return rows.map((r) => ({
    clientId: r.client_id,
    name: r.name,
    mutedAt: new Date(r.created_at).toISOString(),
  }))
}

export async function isPartnerMuted(db: Db, userId: string, clientId: string): Promise<boolean> {
  const row = await db
    .selectFrom('partner_mutes')
    .select('user_id')
    .where('user_id', '=', userId)
    .where('client_id', '=', clientId)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Reports a partner-sent message. The message must be one a partner sent into a thread the user
 * belongs to; anything else is answered as if it did not exist.
 */
export async function reportPartnerMessage(
  db: Db,
  clock: Clock,
  userId: string,
  messageId: string,
  reason: string,
): Promise<{ id: string; clientId: string }> {
  const message = await db
    .selectFrom('messages')
    .innerJoin('thread_members', 'thread_members.thread_id', 'messages.thread_id')
    .select('messages.via_client_id')
    .where('messages.id', '=', messageId)
    .where('thread_members.user_id', '=', userId)
    .where('messages.via_client_id', 'is not', null)
    .executeTakeFirst()
  if (!message?.via_client_id) throw notFound('message')
  const id = newId()
  await db
    .insertInto('partner_abuse_reports')
    .values({
      id,
      user_id: userId,
      client_id: message.via_client_id,
      message_id: messageId,
      reason,
      created_at: clock.now(),
    })
    .execute()
  return { id, clientId: message.via_client_id }
}

/** How many users muted a partner and how many reports were filed about its messages. */
export async function recipientControls(db: Db, clientId: string) {
  await requirePartnerApp(db, clientId)
  const muted = await db
    .selectFrom('partner_mutes')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('client_id', '=', clientId)
    .executeTakeFirstOrThrow()
  const reports = await db
    .selectFrom('partner_abuse_reports')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('client_id', '=', clientId)
    .executeTakeFirstOrThrow()
  return { muted: Number(muted.n), reports: Number(reports.n) }
}
