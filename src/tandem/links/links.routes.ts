import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { Counter } from 'prom-client'
import { notFound } from '../../lib/errors.ts'
import type { TandemContext } from '../context.ts'
import { findLinkTarget } from './links.repository.ts'
import { LINK_ID_RE } from './links.service.ts'

const CACHE_SIZE = 10_000
const REDIRECT_HEADERS = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }
const NOT_FOUND_BODY = JSON.stringify({ error: { code: 'link_not_found', message: 'link not found' } })

/** Resolves shim ids to their (percent-encoded) targets and counts GET clicks; HEAD probes do not count. */
export function createShim(ctx: TandemContext) {
  // Link targets never change once written, so a bounded cache is always correct (misses are not cached).
  const targets = new Map<string, string>()
  return async function follow(id: string, method: string): Promise<string | undefined> {
    if (!LINK_ID_RE.test(id)) return undefined
    let url = targets.get(id)
    if (url === undefined) {
      const target = await findLinkTarget(ctx.db, id)
      if (target === undefined) return undefined
      // Percent-encoded once: header values must be ASCII.
      url = new URL(target).href
      if (targets.size >= CACHE_SIZE) targets.delete(targets.keys().next().value as string)
      targets.set(id, url)
    }
    if (method === 'GET') ctx.clicks.record(id)
    return url
  }
}

export type Shim = ReturnType<typeof createShim>

export function registerLinkRoutes(app: FastifyInstance, shim: Shim): void {
  app.get<{ Params: { id: string } }>(
    '/l/:id',
    {
      schema: {
        summary: 'Link shim: counts the click, then redirects to the recorded URL',
        tags: ['links'],
        params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
    },
    async (req, reply) => {
      const url = await shim(req.params.id, req.method)
      if (url === undefined) throw notFound('link')
      return reply.code(302).header('location', url).headers(REDIRECT_HEADERS).send()
    },
  )
}

const SHIM_PATH_RE = /^\/l\/([^/?#]*)(?:\?.*)?$/

/**
 * The same shim answered straight from node:http, ahead of the framework: the redirect is the
 * hottest request Tandem serves and needs no session, body or plugin. Same answers as the route.
 */
export function shimFastPath(shim: Shim, served: Counter) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false
    const match = SHIM_PATH_RE.exec(req.url ?? '')
    if (!match) return false
    const requestId = randomUUID()
    shim(match[1]!, req.method).then(
      (url) => {
        if (url === undefined) {
          served.inc({ status: '404' })
          res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId })
          res.end(req.method === 'HEAD' ? undefined : NOT_FOUND_BODY)
          return
        }
        served.inc({ status: '302' })
        res.writeHead(302, {
          location: url,
          ...REDIRECT_HEADERS,
          'x-request-id': requestId,
          'content-length': '0',
        })
        res.end()
      },
      () => {
        served.inc({ status: '503' })
        res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId })
        res.end(JSON.stringify({ error: { code: 'unavailable', message: 'try again shortly', requestId } }))
      },
    )
    return true
  }
}
