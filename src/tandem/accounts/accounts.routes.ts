import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../lib/errors.ts'
import { addRoute } from '../../lib/http/routes.ts'
import type { TandemContext } from '../context.ts'
import { presentMe } from './accounts.presenter.ts'
import { findUserById, updateUserSettings } from './accounts.repository.ts'
import { LoginBody, MeSchema, SettingsBody, SignUpBody } from './accounts.schemas.ts'
import { authenticate, endSession, signUp, startSession } from './accounts.service.ts'
import { actorOf, clearSessionCookie, SESSION_COOKIE, sessionGuards, setSessionCookie } from './session.ts'

const tags = ['accounts']

export function registerAccountRoutes(app: FastifyInstance, ctx: TandemContext): void {
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
      summary: 'Create an account and log in',
      tags,
      body: SignUpBody,
      response: { 201: z.object({ user: MeSchema }) },
    },
    async (req, reply) => {
      const user = await signUp(ctx.db, req.body)
      const token = await startSession(ctx.db, user.id, sessionSettings)
      setSessionCookie(ctx, reply, token)
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
      const token = await startSession(ctx.db, user.id, sessionSettings)
      setSessionCookie(ctx, reply, token)
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
      const user = await findUserById(ctx.db, actorOf(req).userId)
      if (!user) throw new AppError(401, 'unauthenticated', 'log in first')
      return { user: presentMe(user) }
    },
  )

  addRoute(
    app,
    'PATCH',
    '/api/me',
    {
      summary:
        'Change display name, whether friends who do not use a partner app may be suggested to it, and whether partner activity shows on the profile',
      tags,
      preHandler: requireSession,
      body: SettingsBody,
      response: { 200: z.object({ user: MeSchema }) },
    },
    async (req) => {
      const user = await updateUserSettings(ctx.db, actorOf(req).userId, req.body)
      return { user: presentMe(user) }
    },
  )
}
