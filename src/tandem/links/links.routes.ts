import type { FastifyInstance } from 'fastify'
import { notFound } from '../../lib/errors.ts'
import type { TandemContext } from '../context.ts'
import { findLinkTarget } from './links.repository.ts'
import { LINK_ID_RE } from './links.service.ts'

const CACHE_SIZE = 10_000

export function registerLinkRoutes(app: FastifyInstance, ctx: TandemContext): void {
  // Link targets never change once written, so a bounded cache is always correct (misses are not cached).
  const targets = new Map<string, string>()

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
      const id = req.params.id
      if (!LINK_ID_RE.test(id)) throw notFound('link')
      let url = targets.get(id)
      if (url === undefined) {
        const target = await findLinkTarget(ctx.db, id)
        if (target === undefined) throw notFound('link')
        // Percent-encoded once: header values must be ASCII.
        url = new URL(target).href
        if (targets.size >= CACHE_SIZE) targets.delete(targets.keys().next().value as string)
        targets.set(id, url)
      }
      // A HEAD is a client probing, not a person following the link.
      if (req.method === 'GET') ctx.clicks.record(id)
      return reply
        .code(302)
        .header('location', url)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .send()
    },
  )
}
