import type { FastifyInstance } from 'fastify'
import { compactVerify, decodeProtectedHeader } from 'jose'
import { z } from 'zod'
import { AppError } from '../../lib/errors.ts'
import { addRoute } from '../../lib/http/routes.ts'
import type { TandemContext } from '../context.ts'
import type { Db } from '../db.ts'
import { findPartner, partnerKeySet } from '../partners/partners.service.ts'

const ReceiptClaims = z.object({
  iss: z.string(),
  aud: z.string(),
  iat: z.number(),
  requestId: z.uuid(),
  sub: z.string(),
  deletedAt: z.iso.datetime({ offset: true }),
  categories: z.array(z.string().max(100)).max(50).optional(),
})

const MAX_RECEIPT_AGE_S = 7 * 86_400

/**
 * A partner's signed statement that it deleted what it held for a user after a revocation.
 * It is a compact JWS made with the key the partner registered; Tandem shows it to the user.
 */
export async function acceptDeletionReceipt(db: Db, now: Date, audience: string, jws: string) {
  const unverified = (() => {
    try {
      decodeProtectedHeader(jws)
      const payload = jws.split('.')[1] ?? ''
      return JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iss?: unknown }
    } catch {
      throw new AppError(400, 'invalid_receipt', 'the receipt is not a compact JWS')
    }
  })()
  const clientId = typeof unverified.iss === 'string' ? unverified.iss : ''
  const partner = clientId ? await findPartner(db, clientId) : undefined
  const keys = partner ? partnerKeySet(partner) : undefined
  if (!keys) throw new AppError(400, 'invalid_signature', 'the receipt is not signed by a registered partner')
  let claims: z.infer<typeof ReceiptClaims>
  try {
    const { payload } = await compactVerify(jws, keys)
    claims = ReceiptClaims.parse(JSON.parse(new TextDecoder().decode(payload)))
  } catch (error) {
    if (error instanceof z.ZodError) {
      throw new AppError(
        400,
        'invalid_receipt',
        'the receipt is missing fields',
        error.issues.map((i) => i.path.join('.')),
      )
    }
    throw new AppError(
      400,
      'invalid_signature',
      'the receipt signature does not verify with the partner’s registered key',
    )
  }
  if (claims.iss !== clientId || claims.aud !== audience) {
    throw new AppError(400, 'invalid_receipt', 'the receipt is addressed to someone else')
  }
  if (Math.abs(now.getTime() / 1000 - claims.iat) > MAX_RECEIPT_AGE_S) {
    throw new AppError(400, 'invalid_receipt', 'the receipt is too old or from the future')
  }
  const request = await db
    .selectFrom('deletion_requests')
    .innerJoin('app_subjects', (join) =>
      join
        .onRef('app_subjects.user_id', '=', 'deletion_requests.user_id')
        .onRef('app_subjects.client_id', '=', 'deletion_requests.client_id'),
    )
    .select(['deletion_requests.id', 'deletion_requests.received_at', 'app_subjects.sub'])
    .where('deletion_requests.id', '=', claims.requestId)
    .where('deletion_requests.client_id', '=', clientId)
    .executeTakeFirst()
  if (!request || request.sub !== claims.sub)
    throw new AppError(404, 'deletion_request_not_found', 'no such deletion request')
  if (request.received_at) return { id: request.id, receivedAt: request.received_at, duplicate: true }
  await db
    .updateTable('deletion_requests')
    .set({
      receipt: JSON.stringify({ deletedAt: claims.deletedAt, categories: claims.categories ?? [] }),
      receipt_jws: jws,
      received_at: now,
    })
    .where('id', '=', request.id)
    .execute()
  return { id: request.id, receivedAt: now, duplicate: false }
}

export function registerDeletionReceiptRoute(app: FastifyInstance, ctx: TandemContext) {
  addRoute(
    app,
    'POST',
    '/partner/v1/deletion-receipts',
    {
      summary: 'A partner confirms, with a JWS signed by its registered key, that it deleted a user’s data',
      description:
        'Body: {receipt: compact JWS}. Claims: iss (client id), aud (Tandem origin), iat, requestId (from data.deletion_requested), sub (app-scoped id), deletedAt, categories?.',
      tags: ['partner'],
      body: z.object({ receipt: z.string().min(1).max(20_000) }).strict(),
    },
    async (req, reply) => {
      const result = await acceptDeletionReceipt(
        ctx.db,
        ctx.clock.now(),
        ctx.config.publicOrigin,
        req.body.receipt,
      )
      return reply
        .code(result.duplicate ? 200 : 201)
        .send({ id: result.id, receivedAt: result.receivedAt.toISOString() })
    },
  )
}
