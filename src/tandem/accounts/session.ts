import { sessionCookie } from '../../lib/accounts/session.ts'
import { crossSiteGuard as sameSiteOnly } from '../../lib/http/cross-site.ts'
import type { TandemContext } from '../context.ts'
import type { TandemDatabase } from '../db.ts'

export { actorOf } from '../../lib/accounts/session.ts'

export const {
  SESSION_COOKIE,
  sessionCookieOptions,
  setSessionCookie,
  clearSessionCookie,
  actorOfToken,
  loadActor,
  sessionGuards,
} = sessionCookie<TandemDatabase, TandemContext>('tandem_session', (ctx) => ctx.config.env !== 'development')

/** Refuses cookie-authenticated state changes from other sites; Tandem's public origin is its own. */
export const crossSiteGuard = (ctx: TandemContext) => sameSiteOnly([ctx.config.publicOrigin])
