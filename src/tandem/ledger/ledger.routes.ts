import type { FastifyInstance, FastifyReply } from 'fastify'
import type { z } from 'zod'
import { addRoute } from '../../lib/http/routes.ts'
import { actorOf, sessionGuards } from '../accounts/session.ts'
import type { TandemContext } from '../context.ts'
import { presentLedgerCsv, presentLedgerExport } from './ledger.presenter.ts'
import { ClientIdParams, LedgerPageOut, LedgerQuery, VerificationOut } from './ledger.schemas.ts'
import { exportLedger, listLedger, verifyLedger } from './ledger.service.ts'

const tags = ['ledger']
const listDescription =
  'Newest first, `limit` per page; pass `nextCursor` as `before` for older entries. ' +
  '`format=json` or `format=csv` downloads every entry instead, oldest first.'

/**
 * The signed-in user's own access ledger. No route takes a user id: the session picks the ledger,
 * so there is no other user's ledger to ask for.
 */
export function registerLedgerRoutes(app: FastifyInstance, ctx: TandemContext): void {
  const { requireSession } = sessionGuards(ctx)
  const { db, clock } = ctx

  async function answer(
    reply: FastifyReply,
    userId: string,
    query: z.output<typeof LedgerQuery>,
    clientId: string | undefined,
  ) {
    if (query.format === undefined) return listLedger(db, userId, { ...query, clientId })
    const rows = await exportLedger(db, userId, { clientId })
    // clientId is limited to [A-Za-z0-9._-], so it is safe inside the quoted filename.
    const name = `tandem-ledger${clientId ? `-${clientId}` : ''}.${query.format}`
    reply.header('content-disposition', `attachment; filename="${name}"`)
    if (query.format === 'csv') {
      return reply.type('text/csv; charset=utf-8').send(presentLedgerCsv(rows))
    }
    return reply.send(presentLedgerExport(userId, rows, clock.now()))
  }

  addRoute(
    app,
    'GET',
    '/api/ledger',
    {
      summary: 'My access ledger: every partner call that touched my data, across all partners',
      description: listDescription,
      tags,
      preHandler: requireSession,
      query: LedgerQuery,
      response: { 200: LedgerPageOut },
    },
    async (req, reply) => answer(reply, actorOf(req).userId, req.query, undefined),
  )

  addRoute(
    app,
    'GET',
    '/api/ledger/verify',
    {
      summary: "Check my ledger's hash chain; names the first entry that does not hold together",
      tags,
      preHandler: requireSession,
      response: { 200: VerificationOut },
    },
    async (req) => verifyLedger(db, actorOf(req).userId),
  )

  addRoute(
    app,
    'GET',
    '/api/connected-apps/:clientId/ledger',
    {
      summary: 'My access ledger for one partner (also after I disconnected it)',
      description: listDescription,
      tags,
      preHandler: requireSession,
      params: ClientIdParams,
      query: LedgerQuery,
      response: { 200: LedgerPageOut },
    },
    async (req, reply) => answer(reply, actorOf(req).userId, req.query, req.params.clientId),
  )
}
