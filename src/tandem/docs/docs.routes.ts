import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { TandemContext } from '../context.ts'
import { DOCS_CSS, type OpenApiDocument, renderDocsPage } from './docs.renderer.ts'

const STYLESHEET_VERSION = createHash('sha256').update(DOCS_CSS).digest('hex').slice(0, 12)
const STYLESHEET = `/docs/docs.css?v=${STYLESHEET_VERSION}`

// The page has no script at all; styles come only from this origin.
const DOCS_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** `GET /docs`: the API reference rendered from /openapi.json, with its stylesheet. */
export function registerDocsRoutes(app: FastifyInstance, ctx: TandemContext): void {
  let page: string | undefined
  app.get(
    '/docs',
    {
      schema: { hide: true },
      // Route-level onSend runs after the app-wide hooks, so this CSP is the one sent.
      onSend: async (_req, reply, payload) => {
        reply.header('content-security-policy', DOCS_CSP)
        reply.header('x-content-type-options', 'nosniff')
        reply.header('referrer-policy', 'same-origin')
        return payload
      },
    },
    async (_req, reply) => {
      page ??= renderDocsPage(app.swagger() as OpenApiDocument, {
        origin: ctx.config.publicOrigin,
        stylesheet: STYLESHEET,
      })
      return reply.type('text/html; charset=utf-8').send(page)
    },
  )
  app.get('/docs/docs.css', { schema: { hide: true } }, async (_req, reply) =>
    reply
      .type('text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .header('x-content-type-options', 'nosniff')
      .send(DOCS_CSS),
  )
}
