import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify'
import { AppError } from '../../lib/errors.ts'
import type { MarqueeContext } from '../context.ts'
import { type Actor, resolveSession } from './accounts.service.ts'

export const SESSION_COOKIE = 'marquee_session'

declare module 'fastify' {
  interface FastifyRequest {
    viewer: Actor | undefined
  }
}

export function sessionCookieOptions(ctx: MarqueeContext) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: ctx.config.env !== 'development' && ctx.config.publicOrigin.startsWith('https:'),
    path: '/',
    maxAge: ctx.config.sessionTtlDays * 86_400,
  }
}

export function setSessionCookie(ctx: MarqueeContext, reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(ctx))
}

export function clearSessionCookie(ctx: MarqueeContext, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { ...sessionCookieOptions(ctx), maxAge: 0 })
}

/** Resolves the session cookie into `req.viewer` (undefined when absent or expired). */
export async function loadViewer(ctx: MarqueeContext, req: FastifyRequest): Promise<Actor | undefined> {
  if (req.viewer) return req.viewer
  const token = req.cookies[SESSION_COOKIE]
  if (!token || token.length > 100) return undefined
  req.viewer = await resolveSession(ctx.db, token, { clock: ctx.clock, ttlDays: ctx.config.sessionTtlDays })
  return req.viewer
}

export function sessionGuards(ctx: MarqueeContext) {
  const requireSession: preHandlerHookHandler = async (req) => {
    if (!(await loadViewer(ctx, req))) throw new AppError(401, 'unauthenticated', 'log in first')
  }
  const requireAdmin: preHandlerHookHandler = async (req) => {
    const viewer = await loadViewer(ctx, req)
    if (!viewer) throw new AppError(401, 'unauthenticated', 'log in first')
    if (!viewer.isAdmin) throw new AppError(403, 'admin_only', 'this needs an administrator')
  }
  return { requireSession, requireAdmin }
}

/** The viewer of a request that passed `requireSession`. */
export function viewerOf(req: { viewer: Actor | undefined }): Actor {
  if (!req.viewer) throw new AppError(401, 'unauthenticated', 'log in first')
  return req.viewer
}
