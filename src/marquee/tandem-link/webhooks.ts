import { z } from 'zod'
import { AppError } from '../../lib/errors.ts'
import { verifyWebhook } from '../../lib/webhook-signature.ts'
import { createTandemPartnerClient, TandemApiError } from '../../partner-sdk/index.ts'
import type { MarqueeContext } from '../context.ts'
import { findConnectionBySubject, forgetTandemUser, type TandemLinkOptions } from './connections.ts'
import { signJws } from './keys.ts'
import { tandemIssuer } from './oidc.ts'
import { loadTandemRegistration } from './registration.ts'

export const SIGNATURE_HEADER = 'tandem-signature'

const WebhookEvent = z.object({
  id: z.string().min(1).max(100),
  type: z.string().min(1).max(100),
  createdAt: z.string().max(100).optional(),
  data: z.record(z.string(), z.unknown()),
})

const GrantRevoked = z.object({
  grantId: z.string().max(200).nullish(),
  sub: z.string().max(500).nullish(),
})

const DeletionRequested = z.object({
  requestId: z.string().min(1).max(100),
  grantId: z.string().max(200).nullish(),
  sub: z.string().max(500).nullish(),
})

/** What Marquee deletes for a person when Tandem asks, as the receipt names it. */
export const DELETED_CATEGORIES = ['tandem_tokens', 'tandem_subject', 'granted_scopes', 'activity_consent']

export interface WebhookResult {
  id: string
  type: string
  duplicate: boolean
}

/**
 * Handles one delivery of Tandem's webhook: the HMAC signature over the exact bytes and its timestamp
 * first (SECURITY.md row 44), then the event once per id (a retry or replay is acknowledged, not redone).
 */
export async function receiveTandemWebhook(
  ctx: MarqueeContext,
  options: TandemLinkOptions,
  signature: string | undefined,
  rawBody: string,
): Promise<WebhookResult> {
  const registration = await loadTandemRegistration(ctx)
  if (!registration)
    throw new AppError(409, 'tandem_not_configured', 'Marquee is not registered at Tandem yet')
  const nowSeconds = Math.floor(ctx.clock.now().getTime() / 1000)
  const verified = verifyWebhook(registration.webhookSecret, signature, rawBody, nowSeconds)
  if (!verified.ok) {
    throw new AppError(
      400,
      verified.reason === 'stale' ? 'stale_signature' : 'invalid_signature',
      verified.reason === 'stale' ? 'the signature is too old' : 'the signature does not verify',
    )
  }
  let event: z.infer<typeof WebhookEvent>
  try {
    event = WebhookEvent.parse(JSON.parse(rawBody))
  } catch {
    throw new AppError(400, 'invalid_event', 'the body is not a Tandem event')
  }
  const seen = await ctx.db
    .selectFrom('tandem_webhook_events')
    .select('id')
    .where('id', '=', event.id)
    .executeTakeFirst()
  if (seen) return { id: event.id, type: event.type, duplicate: true }

  let kept: unknown = null
  switch (event.type) {
    case 'grant.revoked': {
      const data = GrantRevoked.parse(event.data)
      if (data.sub) await forgetSubject(ctx, options, data.sub, data.grantId ?? null)
      break
    }
    case 'data.deletion_requested': {
      const data = DeletionRequested.parse(event.data)
      if (data.sub) {
        await forgetSubject(ctx, options, data.sub, data.grantId ?? null)
        await sendDeletionReceipt(ctx, registration.clientId, data.requestId, data.sub)
      }
      break
    }
    default:
      // agreement.* and anything newer: kept for the operator, nothing to do for a person.
      if (event.type.startsWith('agreement.')) kept = event.data
      ctx.log?.info({ type: event.type, id: event.id }, 'tandem webhook recorded')
  }
  await ctx.db
    .insertInto('tandem_webhook_events')
    .values({
      id: event.id,
      type: event.type,
      received_at: ctx.clock.now(),
      data: kept === null ? null : JSON.stringify(kept),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute()
  return { id: event.id, type: event.type, duplicate: false }
}

/** Forgets the connection of this app-scoped subject, unless it belongs to a newer grant than the one named. */
async function forgetSubject(
  ctx: MarqueeContext,
  options: TandemLinkOptions,
  subject: string,
  grantId: string | null,
): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const connection = await findConnectionBySubject(trx, subject)
    if (!connection) return
    if (grantId && connection.grant_id && connection.grant_id !== grantId) return
    await forgetTandemUser(trx, options, connection.user_id)
  })
}

/**
 * The signed statement Tandem asked for: a compact JWS with Marquee's registered key, claims as Tandem's
 * deletion-receipts endpoint verifies them (iss = client id, aud = Tandem's origin, requestId, sub).
 */
async function sendDeletionReceipt(
  ctx: MarqueeContext,
  clientId: string,
  requestId: string,
  subject: string,
): Promise<void> {
  const already = await ctx.db
    .selectFrom('tandem_deletion_receipts')
    .select('request_id')
    .where('request_id', '=', requestId)
    .executeTakeFirst()
  if (already) return
  const now = ctx.clock.now()
  const receipt = await signJws(
    ctx,
    {
      iss: clientId,
      aud: tandemIssuer(ctx),
      iat: Math.floor(now.getTime() / 1000),
      requestId,
      sub: subject,
      deletedAt: now.toISOString(),
      categories: DELETED_CATEGORIES,
    },
    { typ: 'JWT' },
  )
  const client = createTandemPartnerClient({
    baseUrl: tandemIssuer(ctx),
    accessToken: () => {
      throw new Error('a deletion receipt needs no token')
    },
  })
  try {
    await client.submitDeletionReceipt(receipt)
  } catch (error) {
    ctx.log?.warn({ err: error, requestId }, 'deletion receipt refused or undelivered')
    // Unanswered, Tandem delivers the event again later and the receipt is sent again then.
    if (error instanceof TandemApiError && error.status < 500) {
      throw new AppError(502, 'receipt_refused', `Tandem refused the deletion receipt: ${error.code}`)
    }
    throw new AppError(502, 'tandem_unavailable', 'Tandem could not be reached')
  }
  await ctx.db
    .insertInto('tandem_deletion_receipts')
    .values({ request_id: requestId, deleted_at: now, sent_at: ctx.clock.now() })
    .onConflict((oc) => oc.column('request_id').doNothing())
    .execute()
}
