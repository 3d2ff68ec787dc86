import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { addRoute } from '../../lib/http/routes.ts'
import type { TandemContext } from '../context.ts'
import type { RequirePartner } from '../partner-api/guard.ts'
import { receiveReport } from './reports.service.ts'

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

export function registerReportRoutes(
  app: FastifyInstance,
  ctx: TandemContext,
  requirePartner: RequirePartner,
) {
  // DESIGN.md §5: the body is the report as a compact JWS (application/jose).
  app.addContentTypeParser(
    'application/jose',
    { parseAs: 'string', bodyLimit: 8 * 1024 * 1024 },
    (_req, body, done) => done(null, { report: String(body).trim() }),
  )
  addRoute(
    app,
    'POST',
    '/partner/v1/reports',
    {
      summary: 'Deliver a signed partner report (tandem.partner-report/1) as a compact JWS',
      description:
        'Send the compact JWS as the body with content-type application/jose (or as {report} in JSON), with a client-credentials token holding reports.submit. Every cell of the closed domain must be present. Answers 202 {id, receivedAt, reconciliation}: Tandem’s own counts (Inbox API sends, shim clicks) against the tandem rows, with the cells whose gap the declared noise does not explain. Errors: invalid_signature, unknown_signing_key, invalid_report, incomplete_report, wrong_partner, invalid_period, period_not_ended, period_not_covered, invalid_supersedes.',
      tags: ['partner'],
      security: [{ bearer: [] }],
      preHandler: requirePartner({ subject: 'client', scope: 'reports.submit' }),
      body: z
        .object({
          report: z
            .string()
            .max(8 * 1024 * 1024)
            .regex(COMPACT_JWS, 'a compact JWS'),
        })
        .strict(),
      bodyLimit: 8 * 1024 * 1024,
    },
    async (req, reply) => {
      const stored = await receiveReport(ctx.db, ctx.clock, req.partner!.clientId, req.body.report)
      return reply.code(202).send({
        id: stored.id,
        receivedAt: stored.receivedAt.toISOString(),
        reconciliation: stored.reconciliation,
      })
    },
  )
}
