import type { FastifyInstance } from 'fastify'
import { type ZodType, z } from 'zod'
import { DisplayName, Password, Username } from '../account-fields.ts'
import { AppError } from '../errors.ts'
import { addRoute } from '../http/routes.ts'
import { type AccountTables, type AccountUser, accountStore, endSession, startSession } from './accounts.ts'
import { actorOf, type SessionHost, type sessionCookie } from './session.ts'

export const SignUpBody = z
  .object({ username: Username, displayName: DisplayName, password: Password })
  .strict()
export const LoginBody = z.object({ username: z.string().max(100), password: z.string().max(200) }).strict()

export interface AccountRoutesOptions<
  DB extends AccountTables,
  C extends SessionHost<DB>,
  U extends AccountUser,
> {
  cookie: Pick<
    ReturnType<typeof sessionCookie<DB, C>>,
    'SESSION_COOKIE' | 'setSessionCookie' | 'clearSessionCookie' | 'sessionGuards'
  >
  /** The server's own view of the signed-in user, and its schema for /openapi.json. */
  presentMe: (user: U) => Record<string, unknown>
  MeSchema: ZodType
  /** What sign-up creates, in the server's words ("Create a Marquee account and log in"). */
  signUpSummary: string
}

/**
 * Sign up, log in, log out and "me", alike on both servers: a new session id at every login (no
 * fixation), login attempts limited per address and username, and the same answer for a wrong
 * username as for a wrong password. Each server adds its own PATCH /api/me for its settings.
 */
export function registerAccountRoutes<
  DB extends AccountTables,
  C extends SessionHost<DB> & { config: { loginRateLimit: { max: number; windowMs: number } } },
  U extends AccountUser,
>(app: FastifyInstance, ctx: C, options: AccountRoutesOptions<DB, C, U>): void {
  const { cookie, presentMe, MeSchema } = options
  const store = accountStore<U>()
  const { requireSession } = cookie.sessionGuards(ctx)
  const sessionSettings = { clock: ctx.clock, ttlDays: ctx.config.sessionTtlDays }
  const tags = ['accounts']
  const loginLimit = {
    rateLimit: {
      max: ctx.config.loginRateLimit.max,
      timeWindow: ctx.config.loginRateLimit.windowMs,
      hook: 'preHandler',
      keyGenerator: (req: { ip: string; body?: unknown }) => {
        const name = (req.body as { username?: unknown } | undefined)?.username
        return `${req.ip}|${typeof name === 'string' ? name.toLowerCase().slice(0, 100) : ''}`
      },
    },
  }
  const MeResponse = z.object({ user: MeSchema })

  addRoute(
    app,
    'POST',
    '/api/signup',
    { summary: options.signUpSummary, tags, body: SignUpBody, response: { 201: MeResponse } },
    async (req, reply) => {
      const user = await store.signUp(ctx.db, req.body)
      cookie.setSessionCookie(ctx, reply, await startSession(ctx.db, user.id, sessionSettings))
      return reply.code(201).send({ user: presentMe(user) })
    },
  )

  addRoute(
    app,
    'POST',
    '/api/login',
    {
      summary: 'Log in; a new session id is issued at every login',
      tags,
      body: LoginBody,
      config: loginLimit,
      response: { 200: MeResponse },
    },
    async (req, reply) => {
      const user = await store.authenticate(ctx.db, req.body.username, req.body.password)
      const previous = req.cookies[cookie.SESSION_COOKIE]
      if (previous) await endSession(ctx.db, previous)
      cookie.setSessionCookie(ctx, reply, await startSession(ctx.db, user.id, sessionSettings))
      return { user: presentMe(user) }
    },
  )

  addRoute(app, 'POST', '/api/logout', { summary: 'End this session', tags }, async (req, reply) => {
    const token = req.cookies[cookie.SESSION_COOKIE]
    if (token) await endSession(ctx.db, token)
    cookie.clearSessionCookie(ctx, reply)
    return reply.code(204).send()
  })

  addRoute(
    app,
    'GET',
    '/api/me',
    { summary: 'The logged-in user', tags, preHandler: requireSession, response: { 200: MeResponse } },
    async (req) => {
      const user = await store.findUserById(ctx.db, actorOf(req).userId)
      if (!user) throw new AppError(401, 'unauthenticated', 'log in first')
      return { user: presentMe(user) }
    },
  )
}
