import { sql } from 'kysely'
import { AppError } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import type { Db, TitleCard } from '../db.ts'
import { appendLedgerEntries, type LedgerEntryDraft } from '../ledger/ledger.service.ts'
import { once, requestHash } from '../messaging/idempotency.ts'
import { appendMessage, type MessagingDeps, openDirectThread } from '../messaging/messaging.service.ts'
import { findUserByAppSubject } from '../oauth/subjects.ts'
import { areFriends, isBlockedBetween } from '../social/social.service.ts'
import { hashHandle } from './friends.service.ts'
import { type PartnerApiLimits, secondsToUtcMidnight, utcDay } from './limits.ts'
import { HANDLE_PATTERN, type RecommendationInput } from './partner-api.schemas.ts'

export interface SendsCaller {
  clientId: string
  userId: string
}

type SendStatus = 'sent' | 'not_delivered'
export interface RecommendationResult {
  sends: { id: string; recipient: string; status: SendStatus }[]
}

/** Resolves a recipient to a friend of the sender, or undefined; a handle is consumed by the attempt. */
async function resolveRecipient(trx: Db, now: Date, caller: SendsCaller, recipient: string) {
  let userId: string | undefined
  let kind: 'app_friend' | 'suggestion'
  if (HANDLE_PATTERN.test(recipient)) {
    kind = 'suggestion'
    const used = await trx
      .updateTable('suggestion_handles')
      .set({ used_at: now })
      .where('handle_hash', '=', hashHandle(recipient))
      .where('client_id', '=', caller.clientId)
      .where('issued_for', '=', caller.userId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('friend_id')
      .executeTakeFirst()
    userId = used?.friend_id
  } else {
    kind = 'app_friend'
    userId = await findUserByAppSubject(trx, caller.clientId, recipient)
    if (userId) {
      const grant = await trx
        .selectFrom('partner_grants')
        .select('grant_id')
        .where('user_id', '=', userId)
        .where('client_id', '=', caller.clientId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      if (!grant) userId = undefined
    }
  }
  if (!userId || userId === caller.userId || !(await areFriends(trx, caller.userId, userId))) return undefined
  return { userId, kind }
}

/** Whether Tandem will put a partner message in this recipient's inbox now (privacy rule 5). */
async function mayReceive(trx: Db, caller: SendsCaller, recipientId: string, day: string, cap: number) {
  if (await isBlockedBetween(trx, caller.userId, recipientId)) return false
  const muted = await trx
    .selectFrom('partner_mutes')
    .select('user_id')
    .where('user_id', '=', recipientId)
    .where('client_id', '=', caller.clientId)
    .executeTakeFirst()
  if (muted) return false
  const received = await trx
    .selectFrom('partner_sends')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('recipient_id', '=', recipientId)
    .where('day', '=', day)
    .executeTakeFirstOrThrow()
  return Number(received.n) < cap
}

/**
 * The Inbox API's one capability: a title card from the sender to each friend named, in their
 * one-to-one thread, labelled with the partner. Per-recipient answers say only `sent` or
 * `not_delivered`, whatever the reason. Sends, daily counts and ledger entries (sender and each
 * recipient) are written in the transaction of the messages.
 */
export async function sendRecommendations(
  db: Db,
  deps: MessagingDeps & { limits: PartnerApiLimits },
  caller: SendsCaller,
  input: RecommendationInput,
  idempotencyKey: string | undefined,
) {
  const { clock, limits } = deps
  return db.transaction().execute(async (trx) => {
    // One sender's sends are counted and written one call at a time, so the daily cap holds.
    await sql`select pg_advisory_xact_lock(hashtext(${`partner_send:${caller.userId}`}))`.execute(trx)
    const effect = async () => {
      const now = clock.now()
      const day = utcDay(now)
      const sentToday = await trx
        .selectFrom('partner_sends')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('client_id', '=', caller.clientId)
        .where('sender_id', '=', caller.userId)
        .where('day', '=', day)
        .executeTakeFirstOrThrow()
      let remaining = limits.senderDailyCap - Number(sentToday.n)
      if (remaining <= 0) {
        throw new AppError(
          429,
          'daily_cap_reached',
          'this user has sent as many recommendations as allowed today',
          undefined,
          { 'retry-after': String(secondsToUtcMidnight(now)) },
        )
      }
      const app = await trx
        .selectFrom('partner_apps')
        .select('name')
        .where('client_id', '=', caller.clientId)
        .executeTakeFirstOrThrow()
      const sends: RecommendationResult['sends'] = []
      const ledger: LedgerEntryDraft[] = []
      for (const recipient of input.recipients) {
        // Past the sender's cap nothing is resolved, so no handle is spent on a send that cannot happen.
        const friend = remaining > 0 ? await resolveRecipient(trx, now, caller, recipient) : undefined
        const deliver =
          friend !== undefined &&
          (await mayReceive(trx, caller, friend.userId, day, limits.recipientDailyCap))
        if (!friend || !deliver) {
          sends.push({ id: newId(), recipient, status: 'not_delivered' })
          continue
        }
        const { thread } = await openDirectThread(trx, clock, caller.userId, friend.userId)
        const { body } = await appendMessage(trx, deps, { userId: caller.userId }, thread, {
          threadId: thread.id,
          text: input.note ?? '',
          card: { title: input.title.name, imageUrl: input.title.imageUrl ?? null, url: input.title.url },
          via: { clientId: caller.clientId, appName: app.name },
        })
        const stored = await trx
          .selectFrom('messages')
          .select('card')
          .where('id', '=', body.message.id)
          .executeTakeFirstOrThrow()
        const sendId = newId()
        await trx
          .insertInto('partner_sends')
          .values({
            id: sendId,
            client_id: caller.clientId,
            sender_id: caller.userId,
            recipient_id: friend.userId,
            recipient_kind: friend.kind,
            message_id: body.message.id,
            link_id: (stored.card as TitleCard | null)?.linkId ?? null,
            day,
            interface: input.context.interface,
            surface: input.context.surface,
            variant: input.context.variant,
            created_at: now,
          })
          .execute()
        remaining--
        sends.push({ id: sendId, recipient, status: 'sent' })
        ledger.push({
          userId: friend.userId,
          clientId: caller.clientId,
          scope: 'recommendations.send',
          action: 'recommendation.received',
          objectCount: 1,
          purpose: 'deliver a recommendation from a friend',
          details: { sendId, titleId: input.title.id },
        })
      }
      const accepted = sends.filter((s) => s.status === 'sent').length
      if (accepted > 0) {
        await trx
          .insertInto('partner_daily_counts')
          .values({
            client_id: caller.clientId,
            day,
            interface: input.context.interface,
            surface: input.context.surface,
            variant: input.context.variant,
            sends: accepted,
          })
          .onConflict((oc) =>
            oc
              .columns(['client_id', 'day', 'interface', 'surface', 'variant'])
              .doUpdateSet((eb) => ({ sends: eb('partner_daily_counts.sends', '+', accepted) })),
          )
          .execute()
      }
      ledger.unshift({
        userId: caller.userId,
        clientId: caller.clientId,
        scope: 'recommendations.send',
        action: 'recommendation.sent',
        objectCount: accepted,
        purpose: 'send the recommendations the user chose',
        details: { titleId: input.title.id, recipients: input.recipients.length, accepted },
      })
      await appendLedgerEntries(trx, clock, ledger)
      return { status: 201, body: { sends } }
    }
    if (!idempotencyKey) return { ...(await effect()), replayed: false }
    return once<RecommendationResult>(
      trx,
      clock,
      {
        ownerId: caller.userId,
        scope: `partner:${caller.clientId}:recommendations`,
        key: idempotencyKey,
        requestHash: requestHash(input),
      },
      effect,
    )
  })
}
