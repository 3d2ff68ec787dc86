import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../lib/errors.ts'
import { addRoute } from '../../lib/http/routes.ts'
import type { MarqueeContext } from '../context.ts'
import type { User } from '../db.ts'
import { LoginBody, MeSchema, SettingsBody, SignUpBody } from './accounts.schemas.ts'
import { authenticate, endSession, findUserById, signUp, startSession } from './accounts.service.ts'
import { clearSessionCookie, SESSION_COOKIE, sessionGuards, setSessionCookie, viewerOf } from './session.ts'

const tags = ['accounts']

export const presentMe = (user: User) => ({
  id: user.id,
  username: user.username,
  displayName: user.display_name,
  isAdmin: user.is_admin,
  shareHistoryWithFriends: user.share_history_with_friends,
  createdAt: user.created_at.toISOString(),
})

export function registerAccountRoutes(app: FastifyInstance, ctx: MarqueeContext): void {
  const { requireSession } = sessionGuards(ctx)
  const sessionSettings = { clock: ctx.clock, ttlDays: ctx.config.sessionTtlDays }
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

  addRoute(
    app,
    'POST',
    '/api/signup',
    {
      summary: 'Create a Marquee account and log in',
      tags,
      body: SignUpBody,
      response: { 201: z.object({ user: MeSchema }) },
    },
    async (req, reply) => {
      const user = await signUp(ctx.db, req.body)
      setSessionCookie(ctx, reply, await startSession(ctx.db, user.id, sessionSettings))
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
      response: { 200: z.object({ user: MeSchema }) },
    },
    async (req, reply) => {
      const user = await authenticate(ctx.db, req.body.username, req.body.password)
      const previous = req.cookies[SESSION_COOKIE]
      if (previous) await endSession(ctx.db, previous)
      setSessionCookie(ctx, reply, await startSession(ctx.db, user.id, sessionSettings))
      return { user: presentMe(user) }
    },
  )

  addRoute(app, 'POST', '/api/logout', { summary: 'End this session', tags }, async (req, reply) => {
    const token = req.cookies[SESSION_COOKIE]
    if (token) await endSession(ctx.db, token)
    clearSessionCookie(ctx, reply)
    return reply.code(204).send()
  })

  addRoute(
    app,
    'GET',
    '/api/me',
    {
      summary: 'The logged-in user',
      tags,
      preHandler: requireSession,
      response: { 200: z.object({ user: MeSchema }) },
    },
    async (req) => {
      const user = await findUserById(ctx.db, viewerOf(req).userId)
      if (!user) throw new AppError(401, 'unauthenticated', 'log in first')
      return { user: presentMe(user) }
    },
  )

  addRoute(
    app,
    'PATCH',
    '/api/me',
    {
      summary: 'Change display name or whether app friends may see what you watched',
      tags,
      preHandler: requireSession,
      body: SettingsBody,
      response: { 200: z.object({ user: MeSchema }) },
    },
    async (req) => {
      const { displayName, shareHistoryWithFriends } = req.body
      const changes = {
        ...(displayName !== undefined && { display_name: displayName }),
        ...(shareHistoryWithFriends !== undefined && { share_history_with_friends: shareHistoryWithFriends }),
      }
      const userId = viewerOf(req).userId
      const user =
        Object.keys(changes).length === 0
          ? await findUserById(ctx.db, userId)
          : await ctx.db
              .updateTable('users')
              .set(changes)
              .where('id', '=', userId)
              .returningAll()
              .executeTakeFirst()
      if (!user) throw new AppError(401, 'unauthenticated', 'log in first')
      return { user: presentMe(user) }
    },
  )
}
