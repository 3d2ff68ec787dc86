import { createHash } from 'node:crypto'
import { AppError } from '../../lib/errors.ts'
import { newId, randomToken } from '../../lib/ids.ts'
import { TandemApiError, type TandemPartnerClient } from '../../partner-sdk/index.ts'
import type { MarqueeContext } from '../context.ts'
import type { Db } from '../db.ts'
import { recordEvents, type SentEvent } from '../events/events.service.ts'
import { shareDialogVariant } from '../experiments/experiments.service.ts'
import type { PresentedShare, ShareInput, ShareRecipient, ShareStatus } from './sharing.schemas.ts'

/** One recipient's send as planned before anything leaves Marquee; kept with the request for retries. */
interface PlannedSend {
  id: string
  token: string
  recipient: ShareRecipient
}

interface StoredRequest {
  request_hash: string
  status: number
  response: unknown
}

const SEND_SCOPE = 'recommendations.send'

const requestHash = (input: ShareInput) =>
  createHash('sha256').update(JSON.stringify(input)).digest('base64url')

export const trackedUrl = (ctx: MarqueeContext, token: string) => `${ctx.config.publicOrigin}/r/${token}`

const recipientLabel = (r: ShareRecipient) => ('id' in r ? r.id : 'handle' in r ? r.handle : r.channel)

async function findRequest(db: Db, userId: string, key: string): Promise<StoredRequest | undefined> {
  return db
    .selectFrom('share_requests')
    .select(['request_hash', 'status', 'response'])
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .executeTakeFirst()
}

/**
 * Shares a title with each recipient (POST /api/shares). Each recipient gets its own send id and tracked
 * link; Tandem recipients are sent one Inbox API call each (so each message carries its own link) with
 * the send id as Tandem's Idempotency-Key. The plan is stored under the caller's Idempotency-Key before
 * anything is sent, so a replay answers the stored response and a retry after a crash resends nothing
 * Tandem already accepted. `recommendation.sent` is recorded per recipient once Tandem accepted it (or
 * the external link exists), with the sender's share_dialog arm as the variant.
 */
export async function shareTitle(
  ctx: MarqueeContext,
  senderId: string,
  input: ShareInput,
  idempotencyKey: string,
): Promise<{ status: number; body: { shares: PresentedShare[] }; replayed: boolean }> {
  const hash = requestHash(input)
  const checkReplay = (stored: StoredRequest) => {
    if (stored.request_hash !== hash) {
      throw new AppError(
        422,
        'idempotency_key_reused',
        'this Idempotency-Key was already used for a different request',
      )
    }
    return stored.status !== 0
      ? { status: stored.status, body: stored.response as { shares: PresentedShare[] }, replayed: true }
      : undefined
  }

  const earlier = await findRequest(ctx.db, senderId, idempotencyKey)
  const done = earlier && checkReplay(earlier)
  if (done) return done

  const title = await ctx.db
    .selectFrom('titles')
    .select(['id', 'name'])
    .where('id', '=', input.titleId)
    .executeTakeFirst()
  if (!title) throw new AppError(404, 'title_not_found', 'title not found')

  const toTandem = input.recipients.some((r) => r.type === 'tandem')
  let client: TandemPartnerClient | undefined
  if (toTandem) {
    const link = await ctx.tandem.clientFor(senderId)
    if (!link) throw new AppError(409, 'tandem_not_connected', 'connect Tandem to share with Tandem friends')
    if (!link.scopes.includes(SEND_SCOPE)) {
      throw new AppError(403, 'scope_not_granted', 'Tandem has not granted sending recommendations', {
        scope: SEND_SCOPE,
      })
    }
    client = link.client
  }

  // Claim the key with the plan (or pick up a plan an interrupted call left behind).
  let plan: PlannedSend[] = input.recipients.map((recipient) => ({
    id: newId(),
    token: randomToken(18),
    recipient,
  }))
  const claimed = await ctx.db
    .insertInto('share_requests')
    .values({
      user_id: senderId,
      key: idempotencyKey,
      request_hash: hash,
      status: 0,
      response: JSON.stringify({ plan }),
      created_at: ctx.clock.now(),
    })
    .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst()
  if (!claimed) {
    const stored = (await findRequest(ctx.db, senderId, idempotencyKey)) as StoredRequest
    const finished = checkReplay(stored)
    if (finished) return finished
    plan = (stored.response as { plan: PlannedSend[] }).plan
  }

  const variant = shareDialogVariant(senderId)
  const imageUrl = `${ctx.config.publicOrigin}/posters/${encodeURIComponent(title.id)}.svg`
  const outcomes: Array<{ send: PlannedSend; status: ShareStatus; tandemSendId?: string; error?: string }> =
    []
  for (const send of plan) {
    const r = send.recipient
    if (r.type === 'external') {
      outcomes.push({ send, status: 'created' })
      continue
    }
    try {
      const answer = await (client as TandemPartnerClient).sendRecommendations(
        {
          recipients: [recipientLabel(r)],
          title: { id: title.id, name: title.name, imageUrl, url: trackedUrl(ctx, send.token) },
          ...(input.note ? { note: input.note } : {}),
          context: { interface: input.interface, surface: input.surface, variant },
        },
        { idempotencyKey: send.id },
      )
      const one = answer.sends[0]
      outcomes.push({
        send,
        status: one?.status === 'sent' ? 'sent' : 'not_delivered',
        ...(one ? { tandemSendId: one.id } : {}),
      })
    } catch (error) {
      if (!(error instanceof TandemApiError) && !(error instanceof TypeError)) throw error
      ctx.log?.warn({ err: error, sendId: send.id }, 'Tandem refused or did not answer a send')
      outcomes.push({
        send,
        status: 'failed',
        error: error instanceof TandemApiError ? error.code : 'tandem_unreachable',
      })
    }
  }

  const now = ctx.clock.now()
  const shares: PresentedShare[] = outcomes.map(({ send, status, error }) => ({
    id: send.id,
    recipient: recipientLabel(send.recipient),
    recipientType: send.recipient.type,
    status,
    ...(send.recipient.type === 'external' ? { url: trackedUrl(ctx, send.token) } : {}),
    ...(error ? { error } : {}),
  }))
  const body = { shares }
  await ctx.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('shares')
      .values(
        outcomes.map(({ send, status, tandemSendId }) => ({
          id: send.id,
          sender_id: senderId,
          title_id: title.id,
          interface: input.interface,
          surface: input.surface,
          variant,
          recipient_type: send.recipient.type,
          recipient: send.recipient.type === 'tandem' ? recipientLabel(send.recipient) : null,
          channel: send.recipient.type === 'external' ? send.recipient.channel : null,
          token: send.token,
          status,
          tandem_send_id: tandemSendId ?? null,
          created_at: now,
          delivered_at: status === 'sent' || status === 'created' ? now : null,
        })),
      )
      // A concurrent retry of the same request may have finished first: its rows stand.
      .onConflict((oc) => oc.column('id').doNothing())
      .execute()
    const events: SentEvent[] = outcomes
      .filter((o) => o.status === 'sent' || o.status === 'created')
      .map(({ send }) => ({
        type: 'recommendation.sent',
        sendId: send.id,
        senderId,
        titleId: title.id,
        interface: input.interface,
        surface: input.surface,
        variant,
        recipientType: send.recipient.type,
        at: now,
      }))
    await recordEvents(trx, events, { receivedAt: now })
    await trx
      .updateTable('share_requests')
      .set({ status: 201, response: JSON.stringify(body) })
      .where('user_id', '=', senderId)
      .where('key', '=', idempotencyKey)
      .where('status', '=', 0)
      .execute()
  })
  const final = (await findRequest(ctx.db, senderId, idempotencyKey)) as StoredRequest
  return { status: final.status, body: final.response as { shares: PresentedShare[] }, replayed: false }
}

/** Idempotency keys are kept a day, as Tandem keeps its own. */
export async function purgeShareRequests(db: Db, now: Date, maxAgeMs = 86_400_000): Promise<void> {
  await db
    .deleteFrom('share_requests')
    .where('created_at', '<', new Date(now.getTime() - maxAgeMs))
    .execute()
}
