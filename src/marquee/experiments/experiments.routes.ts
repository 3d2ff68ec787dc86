import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { addRoute } from '../../lib/http/routes.ts'
import { actorOf, sessionGuards } from '../accounts/session.ts'
import type { MarqueeContext } from '../context.ts'
import { assignmentsFor } from './experiments.service.ts'

export function registerExperimentRoutes(app: FastifyInstance, ctx: MarqueeContext): void {
  const { requireSession } = sessionGuards(ctx)
  addRoute(
    app,
    'GET',
    '/api/experiments',
    {
      summary: "The logged-in user's arm in each live experiment",
      tags: ['experiments'],
      preHandler: requireSession,
      response: { 200: z.object({ assignments: z.object({ share_dialog: z.string() }) }) },
    },
    async (req) => ({ assignments: assignmentsFor(actorOf(req).userId) }),
  )
}
