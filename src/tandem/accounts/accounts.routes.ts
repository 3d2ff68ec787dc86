import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { registerAccountRoutes as registerSharedAccountRoutes } from '../../lib/accounts/account-routes.ts'
import { addRoute } from '../../lib/http/routes.ts'
import type { TandemContext } from '../context.ts'
import type { TandemDatabase, User } from '../db.ts'
import { presentMe } from './accounts.presenter.ts'
import { updateUserSettings } from './accounts.repository.ts'
import { MeSchema, SettingsBody } from './accounts.schemas.ts'
import * as cookie from './session.ts'

export function registerAccountRoutes(app: FastifyInstance, ctx: TandemContext): void {
  registerSharedAccountRoutes<TandemDatabase, TandemContext, User>(app, ctx, {
    cookie,
    presentMe,
    MeSchema,
    signUpSummary: 'Create an account and log in',
  })

  addRoute(
    app,
    'PATCH',
    '/api/me',
    {
      summary:
        'Change display name, whether friends who do not use a partner app may be suggested to it, and whether partner activity shows on the profile',
      tags: ['accounts'],
      preHandler: cookie.sessionGuards(ctx).requireSession,
      body: SettingsBody,
      response: { 200: z.object({ user: MeSchema }) },
    },
    async (req) => {
      const user = await updateUserSettings(ctx.db, cookie.actorOf(req).userId, req.body)
      return { user: presentMe(user) }
    },
  )
}
