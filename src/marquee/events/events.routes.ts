import { createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, preHandlerHookHandler } from 'fastify'
import { AppError } from '../../lib/errors.ts'
import { addRoute } from '../../lib/http/routes.ts'
import type { MarqueeContext } from '../context.ts'
import { EventsBody, IngestResultSchema, MAX_EVENTS_PER_BATCH } from './events.schemas.ts'
import { recordEvents } from './events.service.ts'

/**
 * The bearer token of `POST /events`, derived from Marquee's secret key: Marquee's own producers (apps,
 * jobs) hold it; browsers never do, so nobody outside can inflate the counts a report is built from.
 */
export function eventIngestToken(secretKey: Buffer): string {
  return createHmac('sha256', secretKey).update('marquee events ingest v1').digest('base64url')
}

export function registerEventRoutes(app: FastifyInstance, ctx: MarqueeContext): void {
  const expected = Buffer.from(`Bearer ${eventIngestToken(ctx.config.secretKey)}`)
  const requireIngestToken: preHandlerHookHandler = async (req) => {
    const given = Buffer.from(req.headers.authorization ?? '')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError(401, 'invalid_token', 'a valid ingest token is required', undefined, {
        'www-authenticate': 'Bearer realm="marquee-events"',
      })
    }
  }

  addRoute(
    app,
    'POST',
    '/events',
    {
      summary: 'Batched, idempotent ingest of recommendation events',
      description: `Up to ${MAX_EVENTS_PER_BATCH} events; (id, type) is the key (the send id for recommendation.sent), so a retried batch never counts twice. Daily rollups and unique clicks are updated in the same transaction; the per-sender counts used for clipping follow within moments, and a report applies any still queued before it reads them.`,
      tags: ['events'],
      security: [{ bearer: [] }],
      preHandler: requireIngestToken,
      body: EventsBody,
      bodyLimit: 1024 * 1024,
      response: { 200: IngestResultSchema },
    },
    async (req) =>
      recordEvents(ctx.db, req.body.events, {
        receivedAt: ctx.clock.now(),
        senderCounts: ctx.senderCounts,
        recentSends: ctx.recentSends,
      }),
  )
}
