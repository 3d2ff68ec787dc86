import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { registerAccountRoutes as registerSharedAccountRoutes } from '../../lib/accounts/account-routes.ts'
import { AppError } from '../../lib/errors.ts'
import { addRoute } from '../../lib/http/routes.ts'
import type { MarqueeContext } from '../context.ts'
import type { MarqueeDatabase, User } from '../db.ts'
import { MeSchema, SettingsBody } from './accounts.schemas.ts'
import { findUserById } from './accounts.service.ts'
import * as cookie from './session.ts'

export const presentMe = (user: User) => ({
  id: user.id,
  username: user.username,
  displayName: user.display_name,
  isAdmin: user.is_admin,
  shareHistoryWithFriends: user.share_history_with_friends,
  createdAt: user.created_at.toISOString(),
})

export function registerAccountRoutes(app: FastifyInstance, ctx: MarqueeContext): void {
  registerSharedAccountRoutes<MarqueeDatabase, MarqueeContext, User>(app, ctx, {
    cookie,
    presentMe,
    MeSchema,
    signUpSummary: 'Create a Marquee account and log in',
  })

  addRoute(
    app,
    'PATCH',
    '/api/me',
    {
      summary: 'Change display name or whether app friends may see what you watched',
      tags: ['accounts'],
      preHandler: cookie.sessionGuards(ctx).requireSession,
      body: SettingsBody,
      response: { 200: z.object({ user: MeSchema }) },
    },
    async (req) => {
      const { displayName, shareHistoryWithFriends } = req.body
      const changes = {
        ...(displayName !== undefined && { display_name: displayName }),
        ...(shareHistoryWithFriends !== undefined && { share_history_with_friends: shareHistoryWithFriends }),
      }
      const userId = cookie.actorOf(req).userId
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
