import type { FastifyInstance, FastifyReply } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../lib/errors.ts'
import { addRoute } from '../../lib/http/routes.ts'
import { newId } from '../../lib/ids.ts'
import { loadActor } from '../accounts/session.ts'
import type { MarqueeContext } from '../context.ts'
import { recordEvents } from '../events/events.service.ts'
import { findShareByToken } from '../sharing/shares.repository.ts'
import { classifyClick } from './click-classifier.ts'
import { confirmClick } from './clicks.service.ts'
import { LANDING_CSP, LANDING_CSS, LANDING_JS, renderLanding, renderNotFound } from './landing.page.ts'

const tags = ['tracked links']
const TokenParams = z.object({ token: z.string().max(200) })

function htmlHeaders(reply: FastifyReply): FastifyReply {
  return (
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', LANDING_CSP)
      .header('x-frame-options', 'DENY')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .header('x-robots-tag', 'noindex')
      // Every open must reach the server to be counted.
      .header('cache-control', 'no-store')
  )
}

/**
 * A browser navigating (Sec-Fetch-Mode: navigate, sent by every current browser) gets the 404 page;
 * anything else gets the JSON error every other route answers.
 */
function linkNotFound(req: { headers: Record<string, unknown> }, reply: FastifyReply): FastifyReply {
  if (req.headers['sec-fetch-mode'] === 'navigate') return htmlHeaders(reply).code(404).send(renderNotFound())
  throw new AppError(404, 'link_not_found', 'link not found')
}

export function registerClickRoutes(app: FastifyInstance, ctx: MarqueeContext): void {
  const asset = (body: string, type: string) => async (_req: unknown, reply: FastifyReply) =>
    reply
      .type(type)
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(body)
  addRoute(
    app,
    'GET',
    '/r/assets/landing.js',
    { summary: "The landing page's beacon script", tags },
    asset(LANDING_JS, 'text/javascript; charset=utf-8'),
  )
  addRoute(
    app,
    'GET',
    '/r/assets/landing.css',
    { summary: "The landing page's styles", tags },
    asset(LANDING_CSS, 'text/css; charset=utf-8'),
  )

  addRoute(
    app,
    'GET',
    '/r/:token',
    {
      summary: 'A tracked link: records the open with its class and answers the landing page',
      description:
        'Known link-preview fetchers, mail scanners, HEAD requests and bare GETs right after delivery are recorded with their class; only the landing page’s beacon (POST /r/:token/confirm) makes a counted click.',
      tags,
      params: TokenParams,
    },
    async (req, reply) => {
      const share = await findShareByToken(ctx.db, req.params.token)
      if (!share) return linkNotFound(req, reply)
      const title = await ctx.db
        .selectFrom('titles')
        .select(['id', 'name', 'year', 'synopsis'])
        .where('id', '=', share.title_id)
        .executeTakeFirst()
      if (!title) return linkNotFound(req, reply)
      const now = ctx.clock.now()
      const header = (name: string) => {
        const value = req.headers[name]
        return typeof value === 'string' ? value : undefined
      }
      const clickClass = classifyClick({
        method: req.method,
        userAgent: header('user-agent'),
        accept: header('accept'),
        secFetchMode: header('sec-fetch-mode'),
        secFetchDest: header('sec-fetch-dest'),
        sinceDeliveryMs: share.delivered_at ? now.getTime() - share.delivered_at.getTime() : undefined,
      })
      const clickId = newId()
      await recordEvents(
        ctx.db,
        [{ type: 'recommendation.clicked', id: clickId, sendId: share.id, clickClass, at: now }],
        { receivedAt: now },
      )
      const member = (await loadActor(ctx, req as never)) !== undefined
      return htmlHeaders(reply).send(renderLanding({ token: req.params.token, clickId, title, member }))
    },
  )

  addRoute(
    app,
    'POST',
    '/r/:token/confirm',
    {
      summary: "The landing page's first-party beacon: confirms the click (idempotent)",
      tags,
      params: TokenParams,
      body: z.object({ clickId: z.uuid() }).strict(),
      response: { 204: z.null() },
    },
    async (req, reply) => {
      // A page of ours sends JSON from our origin; a cross-site form or a bare fetch cannot pass for it.
      const site = req.headers['sec-fetch-site']
      if (site !== undefined && site !== 'same-origin') {
        throw new AppError(403, 'cross_site_request', 'the beacon is first-party only')
      }
      const share = await findShareByToken(ctx.db, req.params.token)
      if (!share) throw new AppError(404, 'link_not_found', 'link not found')
      await confirmClick(ctx.db, { sendId: share.id, clickId: req.body.clickId, at: ctx.clock.now() })
      return reply.code(204).send()
    },
  )
}
