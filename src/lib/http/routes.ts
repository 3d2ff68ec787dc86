import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  HTTPMethods,
  preHandlerHookHandler,
} from 'fastify'
import { type ZodType, z } from 'zod'

type Out<T> = T extends ZodType ? z.output<T> : undefined

export interface RouteSpec<B, Q, P> {
  summary: string
  tags?: string[]
  description?: string
  body?: B
  query?: Q
  params?: P
  /** Response schemas by status, for the OpenAPI document only (responses are not re-validated). */
  response?: Record<number, ZodType>
  preHandler?: preHandlerHookHandler | preHandlerHookHandler[]
  config?: Record<string, unknown>
  security?: Array<Record<string, string[]>>
  hide?: boolean
  bodyLimit?: number
}

export type TypedRequest<B, Q, P> = Omit<FastifyRequest, 'body' | 'query' | 'params'> & {
  body: Out<B>
  query: Out<Q>
  params: Out<P>
  raw: FastifyRequest['raw']
}

export function toJsonSchema(schema: ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
  delete json.$schema
  return json
}

/**
 * Registers a route whose inputs are zod schemas: they are parsed after the route's preHandlers
 * (so an unauthenticated caller learns nothing from validation) and published in /openapi.json.
 */
export function addRoute<
  B extends ZodType | undefined = undefined,
  Q extends ZodType | undefined = undefined,
  P extends ZodType | undefined = undefined,
>(
  app: FastifyInstance,
  method: HTTPMethods,
  url: string,
  spec: RouteSpec<B, Q, P>,
  handler: (req: TypedRequest<B, Q, P>, reply: FastifyReply) => Promise<unknown>,
): void {
  const schema: FastifySchema & Record<string, unknown> = { summary: spec.summary }
  if (spec.tags) schema.tags = spec.tags
  if (spec.description) schema.description = spec.description
  if (spec.body) schema.body = toJsonSchema(spec.body)
  if (spec.query) schema.querystring = toJsonSchema(spec.query)
  if (spec.params) schema.params = toJsonSchema(spec.params)
  if (spec.security) schema.security = spec.security
  if (spec.hide) schema.hide = true
  if (spec.response) {
    schema.response = Object.fromEntries(
      Object.entries(spec.response).map(([status, s]) => [status, toJsonSchema(s)]),
    )
  }
  app.route({
    method,
    url,
    schema,
    ...(spec.bodyLimit ? { bodyLimit: spec.bodyLimit } : {}),
    ...(spec.config ? { config: spec.config } : {}),
    ...(spec.preHandler ? { preHandler: spec.preHandler } : {}),
    handler: async (req, reply) => {
      const typed = req as unknown as TypedRequest<B, Q, P> & Record<string, unknown>
      if (spec.params) typed.params = spec.params.parse(req.params) as Out<P>
      if (spec.query) typed.query = spec.query.parse(req.query ?? {}) as Out<Q>
      if (spec.body) typed.body = spec.body.parse(req.body ?? {}) as Out<B>
      return handler(typed, reply)
    },
  })
}

export const ErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
})
