import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { errorHandler } from '../errors.ts'
import { installMetrics, type Metrics } from './metrics.ts'

export interface HttpAppOptions {
  name: string
  title: string
  version: string
  description: string
  logger: Logger | false
  trustProxy?: boolean
  /** Health probe: throws when the app cannot serve. */
  health: () => Promise<void>
}

export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean

export type PageFallback = (req: FastifyRequest, reply: FastifyReply) => Promise<boolean>

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * A Fastify instance with what every server here shares: request ids, JSON errors in one shape,
 * /healthz, /metrics and /openapi.json generated from the route schemas.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<{
  app: FastifyInstance
  metrics: Metrics
  /** Lets a web client answer unmatched page URLs (return true when it did). */
  setPageFallback: (fallback: PageFallback) => void
  /** Lets one hot path answer from node:http before the framework sees the request (return true when it did). */
  setFastPath: (fastPath: FastPath) => void
}> {
  let pageFallback: PageFallback | undefined
  let fastPath: FastPath | undefined
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    trustProxy: options.trustProxy ?? false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID()
    },
    routerOptions: { maxParamLength: 200 },
    bodyLimit: 256 * 1024,
    serverFactory: (handler) =>
      createServer((req, res) => {
        if (!fastPath?.(req, res)) handler(req, res)
      }),
    // Router failures (bad percent-encoding, overlong segments) answer in the same error shape.
    frameworkErrors: (error, req, reply) => errorHandler(error, req, reply),
  }) as unknown as FastifyInstance
  // Inputs are parsed with zod inside addRoute; JSON schemas on routes exist for the OpenAPI document.
  app.setValidatorCompiler(() => () => true)
  app.setSerializerCompiler(() => (data) => JSON.stringify(data))
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(async (req, reply) => {
    if (pageFallback && (await pageFallback(req, reply))) return reply
    return reply
      .code(404)
      .send({ error: { code: 'route_not_found', message: `no route for ${req.method} ${req.url}` } })
  })
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id)
  })
  // While shutting down, tell keep-alive clients to go, so close() does not wait out their idle timeout.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close')
    return payload
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, version: options.version, description: options.description },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: `${options.name}_session` },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
  })
  const metrics = installMetrics(app, options.name)
  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await options.health()
      return { status: 'ok' }
    } catch {
      return reply.code(503).send({ status: 'unavailable' })
    }
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  return {
    app,
    metrics,
    setPageFallback: (fallback) => {
      pageFallback = fallback
    },
    setFastPath: (given) => {
      fastPath = given
    },
  }
}
