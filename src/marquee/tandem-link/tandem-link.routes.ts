import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../lib/errors.ts'
import { addRoute, ErrorSchema } from '../../lib/http/routes.ts'
import { TandemApiError } from '../../partner-sdk/index.ts'
import { actorOf, loadActor, sessionGuards } from '../accounts/session.ts'
import type { MarqueeContext } from '../context.ts'
import { activitySetting, setActivity } from './activity.ts'
import {
  beginAuthorization,
  completeAuthorization,
  disconnect,
  findConnection,
  notConnected,
  safeReturnTo,
  type TandemLinkOptions,
} from './connections.ts'
import { publicJwks } from './keys.ts'
import { DEFAULT_SCOPES, USER_SCOPES } from './oidc.ts'
import { receiveTandemWebhook, SIGNATURE_HEADER } from './webhooks.ts'

const tags = ['tandem']

const ActivitySchema = z.object({
  enabled: z.boolean(),
  consentedAt: z.string().nullable(),
  lapsesAt: z.string().nullable(),
  lapsed: z.boolean(),
})

const StatusSchema = z.object({
  tandem: z.object({
    connected: z.boolean(),
    scopes: z.array(z.string()),
    connectedAt: z.string().nullable(),
    activity: ActivitySchema,
  }),
})

const StartQuery = z.object({
  scopes: z
    .string()
    .max(500)
    .optional()
    .transform((s, c) => {
      const scopes = (s ?? '').split(/[\s,]+/).filter(Boolean)
      const unknown = scopes.filter((x) => !USER_SCOPES.includes(x))
      if (unknown.length) c.addIssue({ code: 'custom', message: `unknown scopes: ${unknown.join(' ')}` })
      return scopes.length ? scopes : [...DEFAULT_SCOPES]
    }),
  returnTo: z.string().max(500).optional(),
})

const ActivityBody = z.object({ enabled: z.boolean(), returnTo: z.string().max(500).optional() }).strict()

const FriendsSchema = z.object({
  appFriends: z
    .array(z.object({ id: z.string(), name: z.string(), avatarUrl: z.string().nullable() }))
    .optional(),
  suggestions: z
    .array(
      z.object({
        handle: z.string(),
        name: z.string(),
        avatarUrl: z.string().nullable(),
        expiresAt: z.string(),
      }),
    )
    .optional(),
})

/** Turns an answer from Tandem's partner API into Marquee's error: gone grants read as not connected. */
export function tandemFailure(error: unknown): unknown {
  if (error instanceof TandemApiError) {
    if (error.status === 401) return notConnected()
    return new AppError(502, 'tandem_error', `Tandem answered ${error.status} ${error.code}`, {
      status: error.status,
      code: error.code,
    })
  }
  return error
}

/** A path on Marquee with `?tandem=connected`, or `?tandem=error&reason=…` when `reason` is given. */
function backTo(returnTo: string, reason: string | undefined): string {
  const target = new URL(returnTo, 'http://marquee.invalid')
  if (reason === undefined) target.searchParams.set('tandem', 'connected')
  else {
    target.searchParams.set('tandem', 'error')
    target.searchParams.set('reason', reason)
  }
  return `${target.pathname}${target.search}${target.hash}`
}

export async function registerTandemLinkRoutes(
  app: FastifyInstance,
  ctx: MarqueeContext,
  options: TandemLinkOptions,
): Promise<void> {
  const { requireSession } = sessionGuards(ctx)

  addRoute(
    app,
    'GET',
    '/.well-known/jwks.json',
    {
      summary: "Marquee's public signing keys (private_key_jwt at Tandem, signed receipts and reports)",
      tags,
    },
    async (_req, reply) => {
      reply.header('cache-control', 'public, max-age=300')
      return publicJwks(ctx)
    },
  )

  addRoute(
    app,
    'GET',
    '/auth/tandem/start',
    {
      summary: "Connect with Tandem: redirects to Tandem's authorization endpoint (code + PKCE)",
      description: `scopes: space-separated, from ${USER_SCOPES.join(' ')}; default ${DEFAULT_SCOPES.join(' ')}. returnTo: a path on Marquee.`,
      tags,
      query: StartQuery,
    },
    async (req, reply) => {
      const returnTo = safeReturnTo(req.query.returnTo)
      // A browser navigation: a visitor who is not signed in goes to the login page, then comes back here.
      const actor = await loadActor(ctx, req)
      if (!actor) {
        return reply
          .header('cache-control', 'no-store')
          .redirect(`/login?next=${encodeURIComponent(req.url)}`, 302)
      }
      let url: URL
      try {
        url = await beginAuthorization(ctx, actor.userId, {
          scopes: req.query.scopes,
          purpose: 'connect',
          returnTo,
        })
      } catch (error) {
        // A browser navigation: the page it came from shows why (not registered, or Tandem unreachable).
        if (!(error instanceof AppError)) throw error
        return reply.header('cache-control', 'no-store').redirect(backTo(returnTo, error.code), 302)
      }
      return reply.header('cache-control', 'no-store').redirect(url.href, 302)
    },
  )

  addRoute(
    app,
    'GET',
    '/auth/tandem/callback',
    {
      summary:
        'Where Tandem sends the browser back; redirects to returnTo with ?tandem=connected or ?tandem=error',
      tags,
    },
    async (req, reply) => {
      const viewer = await loadActor(ctx, req as never)
      const current = new URL(req.url, ctx.config.publicOrigin)
      let outcome: Awaited<ReturnType<typeof completeAuthorization>>
      try {
        outcome = await completeAuthorization(ctx, options, viewer?.userId, current)
      } catch (error) {
        if (!(error instanceof AppError)) throw error
        outcome = { returnTo: '/', ok: false, reason: error.code }
      }
      return reply
        .header('cache-control', 'no-store')
        .redirect(backTo(outcome.returnTo, outcome.ok ? undefined : (outcome.reason ?? 'error')), 302)
    },
  )

  addRoute(
    app,
    'GET',
    '/api/tandem',
    {
      summary: 'Whether this account is connected with Tandem, with exactly the scopes granted',
      tags,
      preHandler: requireSession,
      response: { 200: StatusSchema },
    },
    async (req) => {
      const userId = actorOf(req).userId
      const connection = await findConnection(ctx.db, userId)
      return {
        tandem: {
          connected: Boolean(connection),
          scopes: connection?.scopes ?? [],
          connectedAt: connection?.connected_at.toISOString() ?? null,
          activity: await activitySetting(ctx.db, ctx.clock.now(), userId),
        },
      }
    },
  )

  addRoute(
    app,
    'DELETE',
    '/api/tandem',
    {
      summary: 'Disconnect: revoke the grant at Tandem and delete what came from Tandem',
      tags,
      preHandler: requireSession,
    },
    async (req, reply) => {
      await disconnect(ctx, options, actorOf(req).userId)
      return reply.code(204).send()
    },
  )

  addRoute(
    app,
    'GET',
    '/api/tandem/friends',
    {
      summary: 'Tandem friends for the share dialog: app friends and suggestion handles, each when granted',
      tags,
      preHandler: requireSession,
      response: { 200: FriendsSchema, 409: ErrorSchema },
    },
    async (req) => {
      const link = await ctx.tandem.clientFor(actorOf(req).userId)
      if (!link) throw notConnected()
      const wantsApp = link.scopes.includes('friends.app')
      const wantsSuggest = link.scopes.includes('friends.suggest')
      if (!wantsApp && !wantsSuggest) return {}
      try {
        const friends = await link.client.friends()
        return {
          ...(wantsApp ? { appFriends: friends.appFriends ?? [] } : {}),
          ...(wantsSuggest ? { suggestions: friends.suggestions ?? [] } : {}),
        }
      } catch (error) {
        throw tandemFailure(error)
      }
    },
  )

  addRoute(
    app,
    'PUT',
    '/api/tandem/activity',
    {
      summary: 'Share what I watch on Tandem: on (a consent of its own, lapsing after two years) or off',
      description:
        'Answers 409 consent_required with details.authorizeUrl when Tandem has not granted activity.publish yet: open it, and the setting is on when the browser comes back.',
      tags,
      preHandler: requireSession,
      body: ActivityBody,
      response: { 200: z.object({ activity: ActivitySchema }), 409: ErrorSchema },
    },
    async (req) => {
      const result = await setActivity(ctx, actorOf(req).userId, {
        enabled: req.body.enabled,
        returnTo: safeReturnTo(req.body.returnTo),
      })
      if ('consentRequired' in result) {
        throw new AppError(
          409,
          'consent_required',
          'Tandem must first allow Marquee to post what you watch',
          result.consentRequired,
        )
      }
      return result
    },
  )

  // Signatures are checked over the exact bytes received, so this route keeps the body as text.
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: 64 * 1024 },
      (_req, body, done) => done(null, body),
    )
    addRoute(
      scope,
      'POST',
      '/webhooks/tandem',
      {
        summary:
          "Tandem's signed webhook: grant.revoked, data.deletion_requested (answered with a signed receipt), agreement.*",
        tags,
      },
      async (req) => {
        const header = req.headers[SIGNATURE_HEADER]
        const body = typeof req.body === 'string' ? req.body : ''
        return receiveTandemWebhook(ctx, options, typeof header === 'string' ? header : undefined, body)
      },
    )
  })
}
