import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { Counter } from 'prom-client'
import { notFound } from '../../lib/errors.ts'
import type { TandemContext } from '../context.ts'
import { findLinkTarget } from './links.repository.ts'
import { LINK_ID_RE } from './links.service.ts'

/** Link targets kept per cache generation (two generations: about the most recently used 10,000 to 20,000). */
const CACHE_SIZE = 10_000
const REDIRECT_HEADERS = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }
const NOT_FOUND_BODY = JSON.stringify({ error: { code: 'link_not_found', message: 'link not found' } })

/**
 * Resolves shim ids to their (percent-encoded) targets and counts GET clicks; HEAD probes do not count.
 * `follow.cached` answers from memory alone (undefined on a miss), so the fast path can answer a hit
 * without a promise.
 */
export function createShim(ctx: TandemContext) {
  // Link targets never change once written, so a cached target is always correct (misses are not
  // cached). An approximate LRU in two generations: a hit is one Map lookup; when the young generation
  // is full it becomes the old one, and an old entry that is used again moves back to the young.
  let young = new Map<string, string>()
  let old = new Map<string, string>()
  const remember = (id: string, url: string) => {
    if (young.size >= CACHE_SIZE) {
      old = young
      young = new Map()
    }
    young.set(id, url)
  }
  const cachedTarget = (id: string): string | undefined => {
    let url = young.get(id)
    if (url === undefined) {
      url = old.get(id)
      if (url !== undefined) remember(id, url)
    }
    return url
  }
  const follow = async (id: string, method: string): Promise<string | undefined> => {
    let url = cachedTarget(id)
    if (url === undefined) {
      if (!LINK_ID_RE.test(id)) return undefined
      const target = await findLinkTarget(ctx.db, id)
      if (target === undefined) return undefined
      // Percent-encoded once: header values must be ASCII.
      url = new URL(target).href
      remember(id, url)
    }
    if (method === 'GET') ctx.clicks.record(id)
    return url
  }
  /** The target when it is in memory (and the click counted), else undefined: ask `follow`. */
  follow.cached = (id: string, method: string): string | undefined => {
    const url = cachedTarget(id)
    if (url !== undefined && method === 'GET') ctx.clicks.record(id)
    return url
  }
  return follow
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

/** Request ids for the fast path: UUID-shaped, a random prefix per process and a counter (no entropy per request). */
function requestIds(): () => string {
  const prefix = randomUUID().slice(0, 24)
  let n = 0
  return () => {
    n = (n + 1) % 0x1000000000000
    return prefix + n.toString(16).padStart(12, '0')
  }
}

/**
 * The same shim answered straight from node:http, ahead of the framework: the redirect is the
 * hottest request Tandem serves and needs no session, body or plugin. Same answers as the route.
 * A cached target is answered synchronously; a miss waits for the database.
 */
export function shimFastPath(shim: Shim, served: Counter) {
  const nextId = requestIds()
  const redirected = served.labels('302')
  const missing = served.labels('404')
  const failed = served.labels('503')
  const redirect = (res: ServerResponse, url: string) => {
    redirected.inc()
    res.writeHead(302, [
      'location',
      url,
      'cache-control',
      REDIRECT_HEADERS['cache-control'],
      'referrer-policy',
      REDIRECT_HEADERS['referrer-policy'],
      'x-request-id',
      nextId(),
      'content-length',
      '0',
    ])
    res.end()
  }
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') return false
    const match = SHIM_PATH_RE.exec(req.url ?? '')
    if (!match) return false
    const id = match[1]!
    const hit = shim.cached(id, method)
    if (hit !== undefined) {
      redirect(res, hit)
      return true
    }
    shim(id, method).then(
      (url) => {
        if (url !== undefined) return redirect(res, url)
        missing.inc()
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': nextId() })
        res.end(method === 'HEAD' ? undefined : NOT_FOUND_BODY)
      },
      () => {
        failed.inc()
        const requestId = nextId()
        res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId })
        res.end(JSON.stringify({ error: { code: 'unavailable', message: 'try again shortly', requestId } }))
      },
    )
    return true
  }
}
