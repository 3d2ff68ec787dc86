import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { addRoute } from '../../lib/http/routes.ts'
import { actorOf, sessionGuards } from '../accounts/session.ts'
import type { TandemContext } from '../context.ts'
import type { RequirePartner } from '../partner-api/guard.ts'
import { defaultPartnerApiLimits, type PartnerApiLimits, partnerRateLimit } from '../partner-api/limits.ts'
import { presentActivityItem } from './activity.presenter.ts'
import { ActivityItemSchema, PublishActivityBody } from './activity.schemas.ts'
import { deleteActivity, listUserActivity, publishActivity } from './activity.service.ts'

export function registerActivityRoutes(
  app: FastifyInstance,
  ctx: TandemContext,
  requirePartner: RequirePartner,
  limits: PartnerApiLimits = defaultPartnerApiLimits,
) {
  const { requireSession } = sessionGuards(ctx)

  addRoute(
    app,
    'POST',
    '/partner/v1/activity',
    {
      summary: 'Publish that the user is watching or finished a title',
      description:
        'Friends see the item on the user’s Tandem profile, labelled with the partner’s name. Refused with activity_disabled while the user has partner activity turned off. Items expire after 14 days and only the latest 20 per user are kept; the user can delete any of them in Tandem. Rate-limited per (partner, user) like the other partner APIs: 429 rate_limited with Retry-After.',
      tags: ['partner'],
      security: [{ bearer: [] }],
      preHandler: [
        requirePartner({ subject: 'user', scope: 'activity.publish' }),
        partnerRateLimit(ctx.clock, 'activity', limits.rateLimit),
      ],
      body: PublishActivityBody,
      response: { 201: z.object({ id: z.uuid() }) },
    },
    async (req, reply) => {
      const item = await publishActivity(ctx.db, ctx.clock, req.partner!, req.body)
      return reply.code(201).send(item)
    },
  )

  addRoute(
    app,
    'GET',
    '/api/users/:username/activity',
    {
      summary: 'What a user is watching, as their partner apps reported it (the user and their friends only)',
      tags: ['activity'],
      preHandler: requireSession,
      params: z.object({ username: z.string().max(100) }),
      response: { 200: z.object({ items: z.array(ActivityItemSchema) }) },
    },
    async (req) => {
      const rows = await listUserActivity(ctx.db, ctx.clock, actorOf(req), req.params.username)
      return { items: rows.map(presentActivityItem) }
    },
  )

  addRoute(
    app,
    'DELETE',
    '/api/activity/:id',
    {
      summary: 'Delete one of my activity items; it disappears for everyone',
      tags: ['activity'],
      preHandler: requireSession,
      params: z.object({ id: z.string().max(100) }),
    },
    async (req, reply) => {
      await deleteActivity(ctx.db, ctx.clock, actorOf(req), req.params.id)
      return reply.code(204).send()
    },
  )
}
