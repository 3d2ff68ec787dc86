import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../lib/errors.ts'
import { addRoute } from '../../lib/http/routes.ts'
import { findUserById } from '../accounts/accounts.repository.ts'
import type { TandemContext } from '../context.ts'
import { recordLedgerRead } from '../ledger/ledger.service.ts'
import type { RequirePartner } from './guard.ts'

export function registerPartnerMeRoute(
  app: FastifyInstance,
  ctx: TandemContext,
  requirePartner: RequirePartner,
) {
  addRoute(
    app,
    'GET',
    '/partner/v1/me',
    {
      summary: 'The user this token acts for: the app-scoped id and display name',
      tags: ['partner'],
      security: [{ bearer: [] }],
      preHandler: requirePartner({ subject: 'user' }),
      response: { 200: z.object({ id: z.string(), name: z.string() }) },
    },
    async (req) => {
      const caller = req.partner!
      // Reading the display name touches the user's data: recorded in their ledger (privacy rule 3)
      // before the answer leaves, in one statement of its own (the read writes nothing else).
      const user = caller.userId ? await findUserById(ctx.db, caller.userId) : undefined
      if (!user) throw new AppError(401, 'invalid_token', 'the access token names no user')
      await recordLedgerRead(ctx.db, ctx.clock, {
        userId: user.id,
        clientId: caller.clientId,
        scope: 'profile',
        action: 'profile.read',
        objectCount: 1,
        purpose: 'show who is connected',
      })
      return { id: caller.sub, name: user.display_name }
    },
  )
}
