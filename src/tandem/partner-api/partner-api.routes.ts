import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../lib/errors.ts'
import { addRoute, ErrorSchema } from '../../lib/http/routes.ts'
import { actorOf, sessionGuards } from '../accounts/session.ts'
import type { TandemContext } from '../context.ts'
import { IDEMPOTENCY_KEY_RE } from '../messaging/idempotency.ts'
import { coveredScopes } from '../partners/agreements.service.ts'
import {
  listMutedPartners,
  mutePartner,
  recipientControls,
  reportPartnerMessage,
  unmutePartner,
} from './controls.service.ts'
import { listDailyCounts } from './counts.service.ts'
import { listPartnerFriends } from './friends.service.ts'
import type { RequirePartner } from './guard.ts'
import { defaultPartnerApiLimits, type PartnerApiLimits, partnerRateLimit } from './limits.ts'
import {
  DailyCountsQuery,
  DailyCountsResponse,
  FriendsResponse,
  MessageParams,
  MutedPartnersResponse,
  PartnerParams,
  RecipientControlsResponse,
  RecommendationBody,
  RecommendationResponse,
  ReportBody,
} from './partner-api.schemas.ts'
import { sendRecommendations } from './recommendations.service.ts'

export interface PartnerApiOptions {
  /** The salt of app-scoped ids (server secrets). */
  pairwiseSalt: string
  limits?: Partial<PartnerApiLimits> | undefined
}

const partnerErrors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 429: ErrorSchema }

function userOf(req: {
  partner?: { userId: string | undefined; clientId: string; scopes: Set<string> } | undefined
}) {
  const caller = req.partner
  if (!caller?.userId) throw new AppError(401, 'invalid_token', 'the access token names no user')
  return { clientId: caller.clientId, userId: caller.userId, scopes: caller.scopes }
}

/** The Friends and Inbox APIs (/partner/v1) and their first-party counterparts: recipient controls, counts. */
export function registerPartnerApiRoutes(
  app: FastifyInstance,
  ctx: TandemContext,
  requirePartner: RequirePartner,
  options: PartnerApiOptions,
): void {
  const limits: PartnerApiLimits = { ...defaultPartnerApiLimits, ...options.limits }
  const { requireSession, requireAdmin } = sessionGuards(ctx)

  addRoute(
    app,
    'GET',
    '/partner/v1/friends',
    {
      summary:
        'Friends to share with: app friends (friends.app) and single-use suggestion handles (friends.suggest)',
      tags: ['partner'],
      security: [{ bearer: [] }],
      preHandler: [
        requirePartner({ subject: 'user' }),
        partnerRateLimit(ctx.clock, 'friends', limits.rateLimit),
      ],
      response: { 200: FriendsResponse, ...partnerErrors },
    },
    async (req) => {
      const caller = userOf(req)
      const asked = ['friends.app', 'friends.suggest'].filter((s) => caller.scopes.has(s))
      if (asked.length === 0) {
        throw new AppError(
          403,
          'insufficient_scope',
          'this API needs the friends.app or friends.suggest scope',
          undefined,
          {
            'www-authenticate': 'Bearer error="insufficient_scope", scope="friends.app friends.suggest"',
          },
        )
      }
      const covered = await coveredScopes(ctx.db, caller.clientId, ctx.clock.now())
      const usable = asked.filter((s) => covered.has(s))
      if (usable.length === 0) {
        throw new AppError(
          403,
          'agreement_inactive',
          'no active agreement covers the Friends API for this partner; the platform administrator can renew it',
        )
      }
      return listPartnerFriends(ctx.db, ctx.clock, options.pairwiseSalt, caller, {
        app: usable.includes('friends.app'),
        suggest: usable.includes('friends.suggest'),
      })
    },
  )

  addRoute(
    app,
    'POST',
    '/partner/v1/recommendations',
    {
      summary:
        "Send a title to some of the user's friends, as a labelled title card in their inbox (Inbox API)",
      description:
        'Honours Idempotency-Key. Each recipient is answered `sent` or `not_delivered`, whatever the reason. ' +
        'A 503 `try_again` (with Retry-After) means other sends to the same recipients kept changing what this ' +
        'one read: nothing was sent, and the call can be repeated with the same Idempotency-Key.',
      tags: ['partner'],
      security: [{ bearer: [] }],
      preHandler: [
        requirePartner({ subject: 'user', scope: 'recommendations.send' }),
        partnerRateLimit(ctx.clock, 'recommendations', limits.rateLimit),
      ],
      body: RecommendationBody,
      response: { 201: RecommendationResponse, 422: ErrorSchema, 503: ErrorSchema, ...partnerErrors },
    },
    async (req, reply) => {
      const caller = userOf(req)
      const key = req.headers['idempotency-key']
      if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY_RE.test(key))) {
        throw new AppError(
          400,
          'invalid_idempotency_key',
          'Idempotency-Key must be 1 to 255 printable characters',
        )
      }
      const result = await sendRecommendations(
        ctx.db,
        { clock: ctx.clock, origin: ctx.config.publicOrigin, limits },
        caller,
        req.body,
        key,
      )
      if (result.replayed) reply.header('idempotent-replayed', 'true')
      return reply.code(result.status).send(result.body)
    },
  )

  addRoute(
    app,
    'GET',
    '/api/partners/mutes',
    {
      summary: 'The partners I muted: their messages no longer reach me',
      tags: ['partner controls'],
      security: [{ session: [] }],
      preHandler: requireSession,
      response: { 200: MutedPartnersResponse, 401: ErrorSchema },
    },
    async (req) => ({ mutes: await listMutedPartners(ctx.db, actorOf(req).userId) }),
  )

  addRoute(
    app,
    'POST',
    '/api/partners/:clientId/mute',
    {
      summary: 'Mute a partner: its messages no longer reach me',
      tags: ['partner controls'],
      security: [{ session: [] }],
      preHandler: requireSession,
      params: PartnerParams,
      response: { 204: z.null(), 401: ErrorSchema, 404: ErrorSchema },
    },
    async (req, reply) => {
      await mutePartner(ctx.db, ctx.clock, actorOf(req).userId, req.params.clientId)
      return reply.code(204).send()
    },
  )

  addRoute(
    app,
    'DELETE',
    '/api/partners/:clientId/mute',
    {
      summary: 'Unmute a partner',
      tags: ['partner controls'],
      security: [{ session: [] }],
      preHandler: requireSession,
      params: PartnerParams,
      response: { 204: z.null(), 401: ErrorSchema },
    },
    async (req, reply) => {
      await unmutePartner(ctx.db, actorOf(req).userId, req.params.clientId)
      return reply.code(204).send()
    },
  )

  addRoute(
    app,
    'POST',
    '/api/messages/:id/report',
    {
      summary: 'Report a message a partner sent into one of my threads',
      tags: ['partner controls'],
      security: [{ session: [] }],
      preHandler: requireSession,
      params: MessageParams,
      body: ReportBody,
      response: { 201: z.object({ id: z.string() }), 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema },
    },
    async (req, reply) => {
      const report = await reportPartnerMessage(
        ctx.db,
        ctx.clock,
        actorOf(req).userId,
        req.params.id,
        req.body.reason,
      )
      return reply.code(201).send({ id: report.id })
    },
  )

  addRoute(
    app,
    'GET',
    '/api/admin/partners/:clientId/recipient-controls',
    {
      summary: 'How many users muted a partner, and how many reports its messages drew',
      tags: ['admin: partners'],
      security: [{ session: [] }],
      preHandler: requireAdmin,
      params: PartnerParams,
      response: { 200: RecipientControlsResponse, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema },
    },
    async (req) => recipientControls(ctx.db, req.params.clientId),
  )

  addRoute(
    app,
    'GET',
    '/api/admin/partners/:clientId/daily-counts',
    {
      summary: "Tandem's own daily counts for a partner: accepted sends and shim clicks by day and context",
      tags: ['admin: partners'],
      security: [{ session: [] }],
      preHandler: requireAdmin,
      params: PartnerParams,
      query: DailyCountsQuery,
      response: {
        200: DailyCountsResponse,
        400: ErrorSchema,
        401: ErrorSchema,
        403: ErrorSchema,
        404: ErrorSchema,
      },
    },
    async (req) => ({ counts: await listDailyCounts(ctx.db, req.params.clientId, req.query) }),
  )
}
