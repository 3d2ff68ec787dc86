import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type Provider from 'oidc-provider'
import { AppError } from '../../lib/errors.ts'
import { findUserById } from '../accounts/accounts.repository.ts'
import { authenticate, startSession } from '../accounts/accounts.service.ts'
import { crossSiteGuard, loadActor, SESSION_COOKIE, sessionCookieOptions } from '../accounts/session.ts'
import type { TandemContext } from '../context.ts'
import { coveredScopes } from '../partners/agreements.service.ts'
import { upsertPartnerGrant } from './grants.repository.ts'
import { OAUTH_PREFIX } from './provider.ts'
import { OIDC_SCOPES, partnerResource, purposeOf, USER_SCOPES } from './scopes.ts'
import {
  type ConsentScope,
  interactionCsp,
  renderConsentPage,
  renderErrorPage,
  renderLoginPage,
} from './views.ts'

const SECURITY_HEADERS = {
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
}

/**
 * Mounts oidc-provider under /oauth (issuer = Tandem's origin) and serves Tandem's own login and
 * consent screens for its interactions.
 */
export async function registerOAuthRoutes(app: FastifyInstance, ctx: TandemContext, provider: Provider) {
  const callback = provider.callback()
  const handOver = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.hijack()
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value)
    await callback(req.raw, reply.raw)
  }

  // The provider reads request bodies itself: this scope parses nothing.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined))
    const methods = ['GET', 'POST', 'OPTIONS', 'HEAD'] as const
    scope.route({ method: [...methods], url: `${OAUTH_PREFIX}/*`, schema: { hide: true }, handler: handOver })
    scope.route({
      method: ['GET', 'OPTIONS'],
      url: '/.well-known/openid-configuration',
      schema: { hide: true },
      handler: handOver,
    })
  })

  await app.register(async (scope) => registerInteractionRoutes(scope, ctx, provider))
}

async function registerInteractionRoutes(app: FastifyInstance, ctx: TandemContext, provider: Provider) {
  const guard = crossSiteGuard(ctx)
  const resource = partnerResource(ctx.config.publicOrigin)
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_req, body, done) => {
      done(null, new URLSearchParams(body as string))
    },
  )
  app.addHook('onRequest', async (req) => guard(req))

  const html = (reply: FastifyReply, body: string, formTargets: string[] = [], status = 200) =>
    reply
      .code(status)
      .headers({ ...SECURITY_HEADERS, 'content-security-policy': interactionCsp(formTargets) })
      .type('text/html; charset=utf-8')
      .send(body)

  const finish = async (
    req: FastifyRequest,
    reply: FastifyReply,
    result: Parameters<Provider['interactionFinished']>[2],
  ) => {
    reply.hijack()
    await provider.interactionFinished(req.raw, reply.raw, result, { mergeWithLastSubmission: false })
  }

  const load = async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const details = await provider.interactionDetails(req.raw, reply.raw)
      const client = await provider.Client.find(String(details.params.client_id))
      if (!client) throw new Error('unknown client')
      return { details, client }
    } catch {
      await html(
        reply,
        renderErrorPage(
          'session_expired',
          'this sign-in took too long or was already finished; start again from the app',
        ),
        [],
        400,
      )
      return undefined
    }
  }

  const redirectOrigins = (client: { redirectUris?: readonly string[] }) =>
    (client.redirectUris ?? []).map((uri) => new URL(uri).origin)

  /** The scopes to ask about: requested, not yet granted, offered by Tandem, and covered by an agreement. */
  async function consentScopes(
    details: Awaited<ReturnType<Provider['interactionDetails']>>,
    clientId: string,
    appName: string,
  ) {
    const prompt = details.prompt.details as {
      missingOIDCScope?: string[]
      missingResourceScopes?: Record<string, string[]>
    }
    const covered = await coveredScopes(ctx.db, clientId, ctx.clock.now())
    const oidc = (prompt.missingOIDCScope ?? []).filter((s) => USER_SCOPES.includes(s))
    const partner = (prompt.missingResourceScopes?.[resource] ?? []).filter(
      (s) => USER_SCOPES.includes(s) && covered.has(s),
    )
    return [...oidc, ...partner].map<ConsentScope>((scope) => ({
      scope,
      purpose: purposeOf(scope, appName),
      required: scope === 'openid',
    }))
  }

  app.get<{ Params: { uid: string } }>(
    `${OAUTH_PREFIX}/interaction/:uid`,
    { schema: { hide: true } },
    async (req, reply) => {
      const loaded = await load(req, reply)
      if (!loaded) return reply
      const { details, client } = loaded
      const appName = client.clientName ?? client.clientId
      const homepage = String(client.clientUri ?? ctx.config.publicOrigin)
      if (details.prompt.name === 'login') {
        // Someone already signed in to Tandem in this browser does not type a password again.
        const actor = await loadActor(ctx, req)
        if (actor && !details.params.prompt?.toString().includes('login')) {
          return finish(req, reply, { login: { accountId: actor.userId } })
        }
        return html(reply, renderLoginPage({ uid: details.uid, appName, homepage }), redirectOrigins(client))
      }
      const accountId = details.session?.accountId
      const user = accountId ? await findUserById(ctx.db, accountId) : undefined
      if (!user) return html(reply, renderErrorPage('login_required', 'sign in again'), [], 400)
      return html(
        reply,
        renderConsentPage({
          uid: details.uid,
          appName,
          homepage,
          privacyPolicy: String(client.policyUri ?? homepage),
          userName: user.display_name,
          scopes: await consentScopes(details, client.clientId, appName),
        }),
        redirectOrigins(client),
      )
    },
  )

  app.post<{ Params: { uid: string }; Body: URLSearchParams | undefined }>(
    `${OAUTH_PREFIX}/interaction/:uid/login`,
    {
      schema: { hide: true },
      config: {
        rateLimit: { max: ctx.config.loginRateLimit.max, timeWindow: ctx.config.loginRateLimit.windowMs },
      },
    },
    async (req, reply) => {
      const loaded = await load(req, reply)
      if (!loaded) return reply
      const { details, client } = loaded
      if (details.prompt.name !== 'login')
        throw new AppError(400, 'invalid_interaction', 'not waiting for a sign-in')
      const form = req.body instanceof URLSearchParams ? req.body : new URLSearchParams()
      const username = (form.get('username') ?? '').slice(0, 100)
      try {
        const user = await authenticate(ctx.db, username, (form.get('password') ?? '').slice(0, 200))
        const token = await startSession(ctx.db, user.id, {
          clock: ctx.clock,
          ttlDays: ctx.config.sessionTtlDays,
        })
        for (const [name, value] of Object.entries(reply.getHeaders()))
          if (value !== undefined) reply.raw.setHeader(name, value as string)
        // The reply is handed to oidc-provider, so Fastify's onSend (where reply.setCookie would be
        // written) never runs: the session cookie goes on the raw response, which the provider extends.
        reply.raw.setHeader(
          'set-cookie',
          app.serializeCookie(SESSION_COOKIE, token, sessionCookieOptions(ctx)),
        )
        return finish(req, reply, { login: { accountId: user.id } })
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'invalid_credentials') throw error
        const appName = client.clientName ?? client.clientId
        return html(
          reply,
          renderLoginPage({
            uid: details.uid,
            appName,
            homepage: String(client.clientUri),
            username,
            error: error.message,
          }),
          redirectOrigins(client),
          401,
        )
      }
    },
  )

  app.post<{ Params: { uid: string }; Body: URLSearchParams | undefined }>(
    `${OAUTH_PREFIX}/interaction/:uid/consent`,
    { schema: { hide: true } },
    async (req, reply) => {
      const loaded = await load(req, reply)
      if (!loaded) return reply
      const { details, client } = loaded
      const accountId = details.session?.accountId
      if (details.prompt.name !== 'consent' || !accountId) {
        throw new AppError(400, 'invalid_interaction', 'not waiting for consent')
      }
      const offered = await consentScopes(details, client.clientId, client.clientName ?? client.clientId)
      const form = req.body instanceof URLSearchParams ? req.body : new URLSearchParams()
      const ticked = new Set(form.getAll('scope'))
      const chosen = offered.filter((s) => s.required || ticked.has(s.scope)).map((s) => s.scope)
      const refused = offered.filter((s) => !chosen.includes(s.scope)).map((s) => s.scope)

      const grant = details.grantId
        ? ((await provider.Grant.find(details.grantId)) ??
          new provider.Grant({ accountId, clientId: client.clientId }))
        : new provider.Grant({ accountId, clientId: client.clientId })
      const oidcChosen = chosen.filter((s) => (OIDC_SCOPES as readonly string[]).includes(s))
      const partnerChosen = chosen.filter((s) => !(OIDC_SCOPES as readonly string[]).includes(s))
      if (oidcChosen.length) grant.addOIDCScope(oidcChosen.join(' '))
      if (partnerChosen.length) grant.addResourceScope(resource, partnerChosen.join(' '))
      // A scope the person unticked is recorded as refused, so it is not asked again on every sign-in.
      const oidcRefused = refused.filter((s) => (OIDC_SCOPES as readonly string[]).includes(s))
      const partnerRefused = refused.filter((s) => !(OIDC_SCOPES as readonly string[]).includes(s))
      if (oidcRefused.length) grant.rejectOIDCScope(oidcRefused.join(' '))
      if (partnerRefused.length) grant.rejectResourceScope(resource, partnerRefused.join(' '))
      const grantId = await grant.save()
      const granted = [
        ...(grant.getOIDCScope()?.split(' ') ?? []),
        ...(grant.getResourceScope(resource)?.split(' ') ?? []),
      ].filter(Boolean)
      await upsertPartnerGrant(ctx.db, {
        grantId,
        userId: accountId,
        clientId: client.clientId,
        scopes: granted,
        now: ctx.clock.now(),
      })
      return finish(req, reply, { consent: { grantId } })
    },
  )

  app.post<{ Params: { uid: string } }>(
    `${OAUTH_PREFIX}/interaction/:uid/abort`,
    { schema: { hide: true } },
    async (req, reply) => {
      const loaded = await load(req, reply)
      if (!loaded) return reply
      // Row 31: the error goes only to a redirect URI registered (and reviewed) for this client.
      return finish(req, reply, {
        error: 'access_denied',
        error_description: 'the user did not allow access',
      })
    },
  )
}
