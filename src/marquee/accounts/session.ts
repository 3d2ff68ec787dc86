import { sessionCookie } from '../../lib/accounts/session.ts'
import type { MarqueeContext } from '../context.ts'
import type { MarqueeDatabase } from '../db.ts'

export { actorOf } from '../../lib/accounts/session.ts'

export const { SESSION_COOKIE, setSessionCookie, clearSessionCookie, loadActor, sessionGuards } =
  sessionCookie<MarqueeDatabase, MarqueeContext>(
    'marquee_session',
    (ctx) => ctx.config.env !== 'development' && ctx.config.publicOrigin.startsWith('https:'),
  )
