import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { addRoute } from '../../lib/http/routes.ts'
import { actorOf, sessionGuards } from '../accounts/session.ts'
import type { TandemContext } from '../context.ts'
import { listConnectedApps, type RevokeEffects, revokeConnectedApp } from './connected-apps.service.ts'

export const ClientIdParams = z.object({ clientId: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/) }).strict()

export function registerConnectedAppRoutes(
  app: FastifyInstance,
  ctx: TandemContext,
  effects: RevokeEffects = {},
) {
  const { requireSession } = sessionGuards(ctx)
  const tags = ['connected apps']

  addRoute(
    app,
    'GET',
    '/api/connected-apps',
    {
      summary:
        'Partners I connected, with what each may do; and those I disconnected, with their deletion receipts',
      tags,
      preHandler: requireSession,
    },
    async (req) => listConnectedApps(ctx.db, actorOf(req).userId, ctx.clock.now()),
  )

  addRoute(
    app,
    'DELETE',
    '/api/connected-apps/:clientId',
    {
      summary:
        'Disconnect a partner: its tokens stop working at once and it is asked to delete what it holds',
      tags,
      preHandler: requireSession,
      params: ClientIdParams,
    },
    async (req) => {
      const revoked = await revokeConnectedApp(
        ctx.db,
        ctx.clock,
        actorOf(req).userId,
        req.params.clientId,
        effects,
      )
      return {
        disconnected: {
          clientId: req.params.clientId,
          deletionRequests: revoked.map((r) => ({ id: r.deletionRequestId, dueAt: r.dueAt.toISOString() })),
        },
      }
    },
  )
}
