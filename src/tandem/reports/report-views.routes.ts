import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { addRoute, ErrorSchema } from '../../lib/http/routes.ts'
import { sessionGuards } from '../accounts/session.ts'
import type { TandemContext } from '../context.ts'
import { findPartner } from '../partners/partners.service.ts'
import {
  ClientIdParams,
  PublicPartnerSchema,
  ReportIdParams,
  ReportVersionSchema,
  ReportViewSchema,
} from './report-views.schemas.ts'
import { getPublicPartner, getReportView, listPartnerReports } from './report-views.service.ts'

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema }
const CLIENT_ID = /^[a-z0-9][a-z0-9-]{2,39}$/

/**
 * Story 6, for people: the admin console's view of each report version (charts and reconciliation),
 * and the public partner page, which anyone may open, with the aggregates the partner reported.
 */
export function registerReportViewRoutes(app: FastifyInstance, ctx: TandemContext): void {
  const { requireAdmin } = sessionGuards(ctx)
  const admin = { tags: ['admin: reports'], security: [{ session: [] }], preHandler: requireAdmin }

  addRoute(
    app,
    'GET',
    '/api/admin/partners/:clientId/reports',
    {
      ...admin,
      summary: 'Every report version a partner delivered, newest period first',
      description:
        'Each version with its period, status, supersedes chain, received time, whether it met the 14-day obligation (due two days after the period), and the verdict of its reconciliation. Errors: partner_not_found.',
      params: ClientIdParams,
      response: { 200: z.object({ reports: z.array(ReportVersionSchema) }), ...errors },
    },
    async (req) => ({ reports: await listPartnerReports(ctx.db, req.params.clientId) }),
  )

  addRoute(
    app,
    'GET',
    '/api/admin/reports/:id',
    {
      ...admin,
      summary: 'One report version: its rows summed for charts, its manifest and its stored reconciliation',
      description: 'Errors: report_not_found.',
      params: ReportIdParams,
      response: { 200: ReportViewSchema, ...errors },
    },
    async (req) => getReportView(ctx.db, req.params.id),
  )

  addRoute(
    app,
    'GET',
    '/api/public/partners/:clientId',
    {
      tags: ['public'],
      summary: 'A partner’s public page: who it is, what it may use, and what it reported in aggregate',
      description:
        'No login needed. The APIs the partner is whitelisted for and until when, and for each period the aggregates of its latest final report: daily sends and clicks per interface, surface, variant and recipient type, with the privacy manifest in plain words. Errors: partner_not_found.',
      params: ClientIdParams,
      response: { 200: PublicPartnerSchema, 400: ErrorSchema, 404: ErrorSchema },
    },
    async (req) => getPublicPartner(ctx.db, ctx.clock, req.params.clientId),
  )

  // The public page itself: the web client's page, with 404 for a partner Tandem does not know.
  const page = webPage(ctx.config.webDir)
  app.get('/partners/:clientId', { schema: { hide: true } }, async (req, reply) => {
    const { clientId } = req.params as { clientId: string }
    const known = CLIENT_ID.test(clientId) && (await findPartner(ctx.db, clientId)) !== undefined
    return reply
      .code(known ? 200 : 404)
      .type('text/html; charset=utf-8')
      .send(page())
  })
}

const NOT_BUILT =
  '<!doctype html><html lang="en"><title>Tandem</title><p>The Tandem web client is not built.</p></html>'

/** The built client's index.html (read once), or a bare page when the client is not built. */
function webPage(dir: string | undefined): () => string {
  let html: string | undefined
  return () => {
    if (html !== undefined) return html
    const file = dir ? join(dir, 'index.html') : undefined
    if (!file || !existsSync(file)) return NOT_BUILT
    html = readFileSync(file, 'utf8')
    return html
  }
}
