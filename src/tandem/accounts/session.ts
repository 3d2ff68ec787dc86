import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify'
import { AppError } from '../../lib/errors.ts'
import { crossSiteGuard as sameSiteOnly } from '../../lib/http/cross-site.ts'
import type { TandemContext } from '../context.ts'
import { type Actor, resolveSession } from './accounts.service.ts'

export const SESSION_COOKIE = 'tandem_session'

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | undefined
  }
}

export function sessionCookieOptions(ctx: TandemContext) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: ctx.config.env !== 'development',
    path: '/',
    maxAge: ctx.config.sessionTtlDays * 86_400,
  }
}

export function setSessionCookie(ctx: TandemContext, reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(ctx))
}

export function clearSessionCookie(ctx: TandemContext, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { ...sessionCookieOptions(ctx), maxAge: 0 })
}

/** Resolves the session cookie into `req.actor` (undefined when absent or expired). */
export async function loadActor(ctx: TandemContext, req: FastifyRequest): Promise<Actor | undefined> {
  if (req.actor) return req.actor
  const token = req.cookies[SESSION_COOKIE]
  if (!token || token.length > 100) return undefined
  req.actor = await resolveSession(ctx.db, token, { clock: ctx.clock, ttlDays: ctx.config.sessionTtlDays })
  return req.actor
}

export function sessionGuards(ctx: TandemContext) {
  const requireSession: preHandlerHookHandler = async (req) => {
    if (!(await loadActor(ctx, req))) throw new AppError(401, 'unauthenticated', 'log in first')
  }
  const requireAdmin: preHandlerHookHandler = async (req) => {
    const actor = await loadActor(ctx, req)
    if (!actor) throw new AppError(401, 'unauthenticated', 'log in first')
    if (!actor.isAdmin) throw new AppError(403, 'admin_only', 'this needs an administrator')
  }
  return { requireSession, requireAdmin }
}

/** The actor of a request that passed `requireSession`. */
export function actorOf(req: { actor: Actor | undefined }): Actor {
  if (!req.actor) throw new AppError(401, 'unauthenticated', 'log in first')
  return req.actor
}

/** Refuses cookie-authenticated state changes from other sites; Tandem's public origin is its own. */
export const crossSiteGuard = (ctx: TandemContext) => sameSiteOnly([ctx.config.publicOrigin])
