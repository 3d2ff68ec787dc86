import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { decodeJwt } from 'jose'
import { z } from 'zod'
import { AppError } from '../../lib/errors.ts'
import { addRoute } from '../../lib/http/routes.ts'
import type { TandemContext } from '../context.ts'
import { recordLedgerRead } from '../ledger/ledger.service.ts'
import { findUserByAppSubject } from '../oauth/subjects.ts'
import type { PartnerCaller, RequirePartner } from './guard.ts'

/** The benchmark's twin of GET /partner/v1/me without the guard; see `benchUnguardedKey` in config.ts. */
export const UNGUARDED_ME_PATH = '/partner/bench/unguarded-me'

const MeResponse = z.object({ id: z.string(), name: z.string() })

/** The handler of GET /partner/v1/me, after whatever established who calls. */
async function readMe(ctx: TandemContext, caller: Pick<PartnerCaller, 'userId' | 'clientId' | 'sub'>) {
  // Reading the display name touches the user's data: recorded in their ledger (privacy rule 3),
  // committed before the answer leaves, in the statement that reads it (the read writes nothing else).
  const read = caller.userId
    ? await recordLedgerRead(ctx.db, ctx.clock, {
        userId: caller.userId,
        clientId: caller.clientId,
        scope: 'profile',
        action: 'profile.read',
        objectCount: 1,
        purpose: 'show who is connected',
      })
    : undefined
  if (!read) throw new AppError(401, 'invalid_token', 'the access token names no user')
  return { id: caller.sub, name: read.displayName }
}

export function registerPartnerMeRoute(
  app: FastifyInstance,
  ctx: TandemContext,
  requirePartner: RequirePartner,
) {
  addRoute(
    app,
    'GET',
    '/partner/v1/me',
    {
      summary: 'The user this token acts for: the app-scoped id and display name',
      tags: ['partner'],
      security: [{ bearer: [] }],
      preHandler: requirePartner({ subject: 'user' }),
      response: { 200: MeResponse },
    },
    async (req) => readMe(ctx, req.partner!),
  )
  if (ctx.config.benchUnguardedKey !== undefined) {
    registerUnguardedTwin(app, ctx, ctx.config.benchUnguardedKey)
  }
}

/**
 * The same handler as GET /partner/v1/me, for the partner-read benchmark to measure what the guard
 * costs: the caller is read from the token's claims without verifying them and remembered with the
 * user they name, so none of the guard's work (signature, expiry, grant, agreement) is done.
 * Answered only to a caller sending the configured key; anyone else gets the answer of a route that
 * does not exist.
 */
function registerUnguardedTwin(app: FastifyInstance, ctx: TandemContext, key: string) {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  const expected = digest(key)
  // Each token's caller, read from its claims once and remembered (as the guard remembers verified tokens).
  const callers = new Map<string, Pick<PartnerCaller, 'userId' | 'clientId' | 'sub'>>()
  const notHere = (req: FastifyRequest) =>
    new AppError(404, 'route_not_found', `no route for ${req.method} ${req.url}`)
  addRoute(
    app,
    'GET',
    UNGUARDED_ME_PATH,
    {
      summary: 'Benchmark only: GET /partner/v1/me without the partner guard',
      hide: true,
      preHandler: async (req) => {
        const given = req.headers['x-bench-key']
        if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) throw notHere(req)
      },
      response: { 200: MeResponse },
    },
    async (req) => {
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''
      let caller = callers.get(token)
      if (!caller) {
        let claims: Record<string, unknown> = {}
        try {
          claims = decodeJwt(token)
        } catch {
          // Not a JWT: it names no user, and the handler answers 401.
        }
        const clientId = String(claims.client_id ?? '')
        const sub = String(claims.sub ?? '')
        caller = { clientId, sub, userId: await findUserByAppSubject(ctx.db, clientId, sub) }
        if (callers.size >= 20_000) callers.clear()
        callers.set(token, caller)
      }
      return readMe(ctx, caller)
    },
  )
}
