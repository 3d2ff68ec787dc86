import cookie from '@fastify/cookie'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import type { Logger } from 'pino'
import { type Clock, systemClock } from '../lib/clock.ts'
import type { Database } from '../lib/db.ts'
import { crossSiteGuard } from '../lib/http/cross-site.ts'
import { createHttpApp } from '../lib/http/server.ts'
import { serveWebClient } from '../lib/http/web-client.ts'
import { SecretBox } from '../lib/secret-box.ts'
import { registerAccountRoutes } from './accounts/accounts.routes.ts'
import { registerCatalogRoutes } from './catalog/catalog.routes.ts'
import { registerClickRoutes } from './clicks/clicks.routes.ts'
import type { MarqueeConfig } from './config.ts'
import type { MarqueeContext } from './context.ts'
import type { MarqueeDatabase } from './db.ts'
import { registerEventRoutes } from './events/events.routes.ts'
import { RecentSends } from './events/recent-sends.ts'
import { SenderCountsWorker } from './events/sender-counts.ts'
import { registerExperimentRoutes } from './experiments/experiments.routes.ts'
import { runHousekeeping } from './housekeeping.ts'
import { registerReportRoutes } from './reports/reports.routes.ts'
import { registerSharingRoutes } from './sharing/sharing.routes.ts'
import { registerTandemLink } from './tandem-link/index.ts'

export interface MarqueeDeps {
  config: MarqueeConfig
  database: Database<MarqueeDatabase>
  clock?: Clock
  logger?: Logger
}

export interface MarqueeApp {
  app: FastifyInstance
  ctx: MarqueeContext
}

/** Assembles Marquee without listening: tests call `app.inject`, main.ts calls `listen`. */
export async function buildMarqueeApp(deps: MarqueeDeps): Promise<MarqueeApp> {
  const clock = deps.clock ?? systemClock
  const db = deps.database.db
  const { app, setPageFallback } = await createHttpApp({
    name: 'marquee',
    title: 'Marquee API',
    version: '1.0.0',
    description: 'Marquee first-party API (cookie session), tracked links, event ingest and Tandem webhooks.',
    logger: deps.logger ?? false,
    trustProxy: deps.config.env === 'production',
    health: async () => {
      await sql`select 1`.execute(db)
    },
  })
  const ctx: MarqueeContext = {
    config: deps.config,
    database: deps.database,
    db,
    clock,
    senderCounts: new SenderCountsWorker(db, (error) =>
      deps.logger?.warn({ err: error }, 'applying queued per-sender counts failed'),
    ),
    recentSends: new RecentSends(),
    secrets: new SecretBox(deps.config.secretKey),
    log: deps.logger,
    watchListeners: [],
    tandem: { clientFor: async () => undefined },
  }

  app.decorateRequest('actor', undefined)
  await app.register(cookie)
  await app.register(rateLimit, { global: false, hook: 'preHandler' })
  const guard = crossSiteGuard([deps.config.publicOrigin])
  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/api/')) await guard(req)
  })
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store')
    return payload
  })

  registerAccountRoutes(app, ctx)
  registerCatalogRoutes(app, ctx)
  await registerTandemLink(app, ctx)
  registerEventRoutes(app, ctx)
  registerExperimentRoutes(app, ctx)
  registerClickRoutes(app, ctx)
  registerSharingRoutes(app, ctx)
  registerReportRoutes(app, ctx)
  await serveWebClient(app, {
    dir: ctx.config.webDir,
    serverPaths: SERVER_PATHS,
    imgSrc: "'self' data:",
    setPageFallback,
  })

  // Counts another instance queued and could not apply (it stopped first) are applied at start and hourly.
  ctx.senderCounts.nudge()
  const purge = setInterval(() => {
    runHousekeeping(db, clock).catch((error) => deps.logger?.warn({ err: error }, 'housekeeping failed'))
    ctx.senderCounts.nudge()
  }, HOUR_MS)
  purge.unref()
  app.addHook('onClose', async () => {
    clearInterval(purge)
    await ctx.senderCounts.stop()
  })
  return { app, ctx }
}

const HOUR_MS = 3_600_000

/** Paths the server answers itself; everything else under GET is a page of the React client. */
const SERVER_PATHS =
  /^\/(api|r|events|auth|webhooks|posters|reports|\.well-known|healthz|metrics|openapi\.json)(\/|$|\?)/
