import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import type { PageFallback } from './server.ts'

export interface WebClientOptions {
  /** Where the built client lives; absent, or without index.html, means the API only. */
  dir: string | undefined
  /** Paths the server answers itself; every other GET is a page of the client. */
  serverPaths: RegExp
  /** Where the client's images may come from, besides the server itself. */
  imgSrc: string
  setPageFallback: (fallback: PageFallback) => void
}

/** The built React client, with index.html for every page route so deep links load the app. */
export async function serveWebClient(app: FastifyInstance, options: WebClientOptions): Promise<void> {
  const { dir, serverPaths } = options
  if (!dir || !existsSync(join(dir, 'index.html'))) return
  const csp = [
    "default-src 'self'",
    `img-src ${options.imgSrc}`,
    "connect-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ')
  await app.register(fastifyStatic, { root: dir, prefix: '/', wildcard: false, index: ['index.html'] })
  const isPage = (url: string) => !serverPaths.test(url)
  app.addHook('onSend', async (req, reply, payload) => {
    if (isPage(req.url)) {
      reply.header('content-security-policy', csp)
      reply.header('x-frame-options', 'DENY')
      reply.header('x-content-type-options', 'nosniff')
      reply.header('referrer-policy', 'same-origin')
    }
    return payload
  })
  options.setPageFallback(async (req, reply) => {
    if (req.method !== 'GET' || !isPage(req.url) || /\.[a-z0-9]+$/i.test(req.url.split('?')[0] ?? ''))
      return false
    await reply.type('text/html').sendFile('index.html')
    return true
  })
}
