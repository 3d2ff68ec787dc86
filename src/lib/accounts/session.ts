import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify'
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.ts'
import { AppError } from '../errors.ts'
import { type AccountTables, type Actor, resolveSession } from './accounts.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, once a session guard or `loadActor` has looked at the cookie. */
    actor: Actor | undefined
  }
}

/** What a server's context holds that sessions need. */
export interface SessionHost<DB extends AccountTables> {
  db: Kysely<DB>
  clock: Clock
  config: { sessionTtlDays: number }
}

/**
 * A server's session cookie: HttpOnly, SameSite=Lax, Secure where `secure` says, named per server so
 * Tandem's and Marquee's sessions never mix on one host. The value is a random token; the database
 * holds only its hash.
 */
export function sessionCookie<DB extends AccountTables, C extends SessionHost<DB>>(
  name: string,
  secure: (ctx: C) => boolean,
) {
  const sessionCookieOptions = (ctx: C) => ({
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: secure(ctx),
    path: '/',
    maxAge: ctx.config.sessionTtlDays * 86_400,
  })

  /** The actor a session cookie's value names (undefined when absent, malformed or expired). */
  async function actorOfToken(ctx: C, token: string | undefined): Promise<Actor | undefined> {
    if (!token || token.length > 100) return undefined
    return resolveSession(ctx.db, token, { clock: ctx.clock, ttlDays: ctx.config.sessionTtlDays })
  }

  /** Resolves the session cookie into `req.actor` (undefined when absent or expired). */
  async function loadActor(ctx: C, req: FastifyRequest): Promise<Actor | undefined> {
    if (req.actor) return req.actor
    req.actor = await actorOfToken(ctx, req.cookies[name])
    return req.actor
  }

  return {
    SESSION_COOKIE: name,
    sessionCookieOptions,
    actorOfToken,
    loadActor,
    setSessionCookie(ctx: C, reply: FastifyReply, token: string): void {
      reply.setCookie(name, token, sessionCookieOptions(ctx))
    },
    clearSessionCookie(ctx: C, reply: FastifyReply): void {
      reply.clearCookie(name, { ...sessionCookieOptions(ctx), maxAge: 0 })
    },
    sessionGuards(ctx: C) {
      const requireSession: preHandlerHookHandler = async (req) => {
        if (!(await loadActor(ctx, req))) throw new AppError(401, 'unauthenticated', 'log in first')
      }
      const requireAdmin: preHandlerHookHandler = async (req) => {
        const actor = await loadActor(ctx, req)
        if (!actor) throw new AppError(401, 'unauthenticated', 'log in first')
        if (!actor.isAdmin) throw new AppError(403, 'admin_only', 'this needs an administrator')
      }
      return { requireSession, requireAdmin }
    },
  }
}

/** The actor of a request that passed `requireSession`. */
export function actorOf(req: { actor: Actor | undefined }): Actor {
  if (!req.actor) throw new AppError(401, 'unauthenticated', 'log in first')
  return req.actor
}
