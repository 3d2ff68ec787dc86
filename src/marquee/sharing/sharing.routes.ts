import type { FastifyInstance } from 'fastify'
import { AppError } from '../../lib/errors.ts'
import { addRoute } from '../../lib/http/routes.ts'
import { actorOf, sessionGuards } from '../accounts/session.ts'
import type { MarqueeContext } from '../context.ts'
import { IDEMPOTENCY_KEY_RE, ShareBody, SharesResponse } from './sharing.schemas.ts'
import { shareTitle } from './sharing.service.ts'

export function registerSharingRoutes(app: FastifyInstance, ctx: MarqueeContext): void {
  const { requireSession } = sessionGuards(ctx)
  addRoute(
    app,
    'POST',
    '/api/shares',
    {
      summary: 'Share a title with Tandem friends (Inbox API) and by tracked link',
      description:
        'Requires Idempotency-Key: a replay answers the stored response and sends nothing twice. Each recipient gets its own send and tracked link; the variant is the sender’s share_dialog arm.',
      tags: ['sharing'],
      preHandler: requireSession,
      body: ShareBody,
      response: { 201: SharesResponse },
    },
    async (req, reply) => {
      const key = req.headers['idempotency-key']
      if (typeof key !== 'string' || key === '') {
        throw new AppError(400, 'idempotency_key_required', 'send an Idempotency-Key header')
      }
      if (!IDEMPOTENCY_KEY_RE.test(key)) {
        throw new AppError(
          400,
          'invalid_idempotency_key',
          'Idempotency-Key is 1 to 255 visible ASCII characters',
        )
      }
      const result = await shareTitle(ctx, actorOf(req).userId, req.body, key)
      if (result.replayed) reply.header('idempotent-replayed', 'true')
      return reply.code(result.status).send(result.body)
    },
  )
}
