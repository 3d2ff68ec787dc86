import type { FastifyInstance } from 'fastify'
import type { MarqueeContext } from '../context.ts'
import { activityPublisher } from './activity.ts'
import type { TandemLinkOptions } from './connections.ts'
import { createFriendsOf, forgetSharedRecipients } from './friends.ts'
import { signingKeys } from './keys.ts'
import { createTandemLink } from './link.ts'
import { registerTandemLinkRoutes } from './tandem-link.routes.ts'

export { createMarqueeClient } from './client-credentials.ts'
export type { ForgetListener, TandemLinkOptions } from './connections.ts'
export { publicJwks, rotateSigningKeys, signingKeys, signJws } from './keys.ts'
export { loadTandemRegistration, saveTandemRegistration, type TandemRegistration } from './registration.ts'

/**
 * Wires the Tandem link into Marquee: signing keys made at first start, `ctx.tandem`, the watch
 * activity publisher, `ctx.friendsOf`, and the routes. `onForget` listeners delete what other modules
 * hold from Tandem (the sharing module's recipients are always among them).
 */
export async function registerTandemLink(
  app: FastifyInstance,
  ctx: MarqueeContext,
  given: TandemLinkOptions = {},
): Promise<void> {
  const options: TandemLinkOptions = { onForget: [forgetSharedRecipients, ...(given.onForget ?? [])] }
  await signingKeys(ctx)
  ctx.tandem = createTandemLink(ctx, options)
  ctx.friendsOf = createFriendsOf(ctx)
  ctx.watchListeners.push(activityPublisher(ctx))
  await registerTandemLinkRoutes(app, ctx, options)
}
