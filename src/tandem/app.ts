import cookie from '@fastify/cookie'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import type Provider from 'oidc-provider'
import type { Logger } from 'pino'
import { type Clock, systemClock } from '../lib/clock.ts'
import type { Database } from '../lib/db.ts'
import { createHttpApp } from '../lib/http/server.ts'
import { serveWebClient } from '../lib/http/web-client.ts'
import { SecretBox } from '../lib/secret-box.ts'
import { registerAccountRoutes } from './accounts/accounts.routes.ts'
import { crossSiteGuard } from './accounts/session.ts'
import { registerActivityRoutes } from './activity/activity.routes.ts'
import type { TandemConfig } from './config.ts'
import { registerConnectedAppRoutes } from './connected-apps/connected-apps.routes.ts'
import { registerDeletionReceiptRoute } from './connected-apps/deletion-receipts.ts'
import type { TandemContext } from './context.ts'
import type { TandemDatabase } from './db.ts'
import { registerDocsRoutes } from './docs/docs.routes.ts'
import { runHousekeeping } from './housekeeping.ts'
import { registerLedgerRoutes } from './ledger/ledger.routes.ts'
import { ClickRecorder } from './links/click-recorder.ts'
import { createShim, registerLinkRoutes, shimFastPath } from './links/links.routes.ts'
import { registerMessagingRoutes } from './messaging/messaging.routes.ts'
import { registerOAuthRoutes } from './oauth/oauth.routes.ts'
import { createProvider } from './oauth/provider.ts'
import { loadServerSecrets, publicJwks } from './oauth/server-secrets.ts'
import { createPartnerGuard } from './partner-api/guard.ts'
import type { PartnerApiLimits } from './partner-api/limits.ts'
import { registerPartnerMeRoute } from './partner-api/me.routes.ts'
import { registerPartnerApiRoutes } from './partner-api/partner-api.routes.ts'
import { PARTNER_STATE_CHANNEL } from './partner-api/state-changes.ts'
import { type PartnerRouteOptions, registerPartnerRoutes } from './partners/partners.routes.ts'
import { RealtimeHub, registerRealtimeRoutes } from './realtime/hub.ts'
import { registerReportViewRoutes } from './reports/report-views.routes.ts'
import { registerReportRoutes } from './reports/reports.routes.ts'
import { findReceivedReports } from './reports/reports.service.ts'
import { registerSocialRoutes } from './social/social.routes.ts'
import { enqueueAgreementWebhook, enqueueRevocationWebhooks } from './webhooks/webhooks.events.ts'
import { registerWebhookRoutes } from './webhooks/webhooks.routes.ts'
import { WebhookDispatcher } from './webhooks/webhooks.service.ts'

export interface TandemDeps {
  config: TandemConfig
  database: Database<TandemDatabase>
  clock?: Clock
  logger?: Logger
  /** Test hooks that replace the partner routes' defaults. */
  partnerRoutes?: PartnerRouteOptions
  /** Caps and rate limits of the privileged partner APIs, over the configured ones, when a test needs smaller ones. */
  partnerApiLimits?: Partial<PartnerApiLimits>
}

export interface TandemApp {
  app: FastifyInstance
  ctx: TandemContext
  hub: RealtimeHub
  provider: Provider
  webhooks: WebhookDispatcher
}

const HOUR_MS = 3_600_000

/** Assembles Tandem without listening: tests call `app.inject`, main.ts calls `listen`. */
export async function buildTandemApp(deps: TandemDeps): Promise<TandemApp> {
  const clock = deps.clock ?? systemClock
  const db = deps.database.db
  const { app, metrics, setPageFallback, setFastPath } = await createHttpApp({
    name: 'tandem',
    title: 'Tandem API',
    version: '1.0.0',
    description: 'Tandem first-party API (cookie session) and the privileged partner API (bearer tokens).',
    logger: deps.logger ?? false,
    trustProxy: deps.config.env === 'production',
    health: async () => {
      await sql`select 1`.execute(db)
    },
  })
  const clicks = new ClickRecorder(db, clock, deps.config.clickFlushMs, deps.logger)
  const ctx: TandemContext = {
    config: deps.config,
    database: deps.database,
    db,
    clock,
    clicks,
    secrets: new SecretBox(deps.config.secretKey),
    log: deps.logger,
  }
  const hub = new RealtimeHub(ctx, metrics, deps.logger)
  const webhooks = new WebhookDispatcher(ctx)

  app.decorateRequest('actor', undefined)
  app.decorateRequest('partner', undefined)
  await app.register(cookie)
  await app.register(rateLimit, { global: false, hook: 'preHandler' })
  const guard = crossSiteGuard(ctx)
  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/api/')) await guard(req)
  })
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store')
    return payload
  })

  registerAccountRoutes(app, ctx)
  registerSocialRoutes(app, ctx)
  registerLedgerRoutes(app, ctx)
  registerMessagingRoutes(app, ctx)
  const shim = createShim(ctx)
  registerLinkRoutes(app, shim)
  setFastPath(
    shimFastPath(
      shim,
      metrics.counter('shim_redirects_total', 'Link-shim answers served by the fast path', ['status']),
    ),
  )
  const serverSecrets = await loadServerSecrets(db, ctx.secrets, clock.now())
  // A grant the provider ends is dropped from this instance's guard cache before the revocation is
  // answered (other instances hear it through NOTIFY): the very next call fails, SECURITY.md row 46.
  let forgetPartnerState = () => {}
  const provider = createProvider(ctx, serverSecrets, () => forgetPartnerState())
  await registerOAuthRoutes(app, ctx, provider)
  const requirePartner = createPartnerGuard(ctx, provider, publicJwks(serverSecrets))
  forgetPartnerState = () => requirePartner.forget()
  const stopStateListener = await deps.database.listen(PARTNER_STATE_CHANNEL, () => requirePartner.forget())
  const partnerLimits: PartnerApiLimits = { ...deps.config.partnerApiLimits, ...deps.partnerApiLimits }
  registerPartnerMeRoute(app, ctx, requirePartner)
  registerReportRoutes(app, ctx, requirePartner)
  registerPartnerApiRoutes(app, ctx, requirePartner, {
    pairwiseSalt: serverSecrets.pairwiseSalt,
    limits: partnerLimits,
  })
  registerActivityRoutes(app, ctx, requirePartner, partnerLimits)
  registerConnectedAppRoutes(app, ctx, {
    afterCommit: () => requirePartner.forget(),
    onRevoked: (trx, revoked) => enqueueRevocationWebhooks(trx, clock, revoked),
  })
  registerWebhookRoutes(app, ctx)
  registerPartnerRoutes(app, ctx, {
    onAgreementChange: (trx, change) => enqueueAgreementWebhook(trx, clock, change),
    afterCommit: () => requirePartner.forget(),
    findReceivedReports,
    ...deps.partnerRoutes,
  })
  registerReportViewRoutes(app, ctx)
  registerDeletionReceiptRoute(app, ctx)
  registerDocsRoutes(app, ctx)
  registerRealtimeRoutes(app, ctx, hub)
  // Partners' title images and avatars are their own URLs.
  await serveWebClient(app, {
    dir: ctx.config.webDir,
    serverPaths: SERVER_PATHS,
    imgSrc: "'self' data: https: http:",
    setPageFallback,
  })

  await hub.start()
  if (deps.config.dispatchWebhooks) await webhooks.start()
  const purge = setInterval(() => {
    runHousekeeping(db, clock).catch((error) => deps.logger?.warn({ err: error }, 'housekeeping failed'))
  }, HOUR_MS)
  purge.unref()
  app.addHook('onClose', async () => {
    clearInterval(purge)
    await stopStateListener()
    await webhooks.stop()
    await hub.stop()
    await clicks.close()
  })
  return { app, ctx, hub, provider, webhooks }
}

/** Paths the server answers itself; everything else under GET is a page of the React client. */
const SERVER_PATHS = /^\/(api|l|ws|oauth|partner|healthz|metrics|openapi\.json)(\/|$|\?)/
