import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../lib/errors.ts'
import { addRoute } from '../../lib/http/routes.ts'
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
      // Reading the display name touches the user's data: recorded in their ledger (privacy rule 3),
      // committed before the answer leaves, in the statement that reads it (the read writes nothing else).
      const read = caller.userId
        ? await recordLedgerRead(ctx.db, ctx.clock, {
            userId: caller.userId,
            clientId: caller.clientId,
            scope: 'profile',
            action: 'profile.read',
            objectCount: 1,
            purpose: 'show who is connected',
          })
        : undefined
      if (!read) throw new AppError(401, 'invalid_token', 'the access token names no user')
      return { id: caller.sub, name: read.displayName }
    },
  )
}
