import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { addRoute } from '../../lib/http/routes.ts'
import { sessionGuards } from '../accounts/session.ts'
import type { TandemContext } from '../context.ts'
import { listDeliveries, retryDelivery } from './webhooks.service.ts'

const tags = ['admin']
const ClientParams = z.object({ clientId: z.string().min(1).max(200) }).strict()
const DeliveryParams = z.object({ id: z.uuid() }).strict()
const DeliveriesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    before: z.string().max(200).optional(),
  })
  .strict()

export function registerWebhookRoutes(app: FastifyInstance, ctx: TandemContext): void {
  const { requireAdmin } = sessionGuards(ctx)
  const { db, clock } = ctx

  addRoute(
    app,
    'GET',
    '/api/admin/partners/:clientId/webhooks',
    {
      summary: "A partner's webhook deliveries, newest first; pass nextCursor as `before` for the next page",
      tags,
      preHandler: requireAdmin,
      params: ClientParams,
      query: DeliveriesQuery,
    },
    async (req) => listDeliveries(db, req.params.clientId, req.query),
  )

  addRoute(
    app,
    'POST',
    '/api/admin/webhooks/:id/retry',
    {
      summary: 'Queue a failed webhook delivery again, due now, with a fresh set of attempts',
      tags,
      preHandler: requireAdmin,
      params: DeliveryParams,
    },
    async (req) => ({ delivery: await retryDelivery(db, clock, req.params.id) }),
  )
}
