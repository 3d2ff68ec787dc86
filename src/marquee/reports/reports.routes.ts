import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { AppError } from '../../lib/errors.ts'
import { addRoute } from '../../lib/http/routes.ts'
import { loadActor, sessionGuards } from '../accounts/session.ts'
import type { MarqueeContext } from '../context.ts'
import { escapeHtml, REPORT_CSP, REPORT_CSS, renderReportList, renderReportPage } from './report-page.ts'
import { listReportVersions, loadReportView, presentVersion, reportCsv } from './report-view.ts'
import { registerReportSchedule } from './schedule.ts'

const IdParams = z.object({ id: z.string().max(80) })

/**
 * The biweekly report for Marquee's admins: `/reports` (list), `/reports/:id` (the page, charts as
 * inline SVG), `/reports/:id.csv`, their JSON twins under `/api/reports`, and the schedule.
 */
export function registerReportRoutes(app: FastifyInstance, ctx: MarqueeContext): void {
  registerReportSchedule(app, ctx)
  const { requireAdmin } = sessionGuards(ctx)

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .header('content-security-policy', REPORT_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin')
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(body)

  /** Pages answer a person: to the login page when logged out, a plain 403 page when not an admin. */
  const adminPage = async (req: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    const viewer = await loadActor(ctx, req)
    if (!viewer) {
      await reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 302)
      return false
    }
    if (!viewer.isAdmin) {
      await html(reply, 403, '<!doctype html><title>Forbidden</title><p>Reports are for administrators.</p>')
      return false
    }
    return true
  }

  app.get('/reports/report.css', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(REPORT_CSS),
  )

  app.get('/reports', { schema: { hide: true } }, async (req, reply) => {
    if (!(await adminPage(req, reply))) return reply
    return html(reply, 200, renderReportList(await listReportVersions(ctx.db)))
  })

  app.get<{ Params: { id: string } }>('/reports/:id', { schema: { hide: true } }, async (req, reply) => {
    if (!(await adminPage(req, reply))) return reply
    const raw = req.params.id
    const csv = raw.endsWith('.csv')
    let view: Awaited<ReturnType<typeof loadReportView>>
    try {
      view = await loadReportView(ctx.db, csv ? raw.slice(0, -4) : raw)
    } catch (error) {
      if (error instanceof AppError && error.status === 404) {
        return html(reply, 404, `<!doctype html><title>Not found</title><p>No report ${escapeHtml(raw)}.</p>`)
      }
      throw error
    }
    if (csv) {
      const name = `marquee-report-${view.report.period.start}-${view.version.status}-${view.version.id.slice(0, 8)}.csv`
      return reply
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .type('text/csv; charset=utf-8')
        .send(reportCsv(view.report))
    }
    return html(reply, 200, renderReportPage(view))
  })

  addRoute(
    app,
    'GET',
    '/api/reports',
    {
      summary: 'Every released version of the partner report (admins)',
      tags: ['reports'],
      preHandler: requireAdmin,
    },
    async () => ({ reports: (await listReportVersions(ctx.db)).map(presentVersion) }),
  )

  addRoute(
    app,
    'GET',
    '/api/reports/:id',
    {
      summary:
        'One version of the partner report with its payload, experiment statistics and reconciliation (admins)',
      tags: ['reports'],
      preHandler: requireAdmin,
      params: IdParams,
    },
    async (req) => {
      const view = await loadReportView(ctx.db, req.params.id)
      return {
        report: {
          ...presentVersion(view.version),
          payload: view.report,
          experiment: view.experiment,
          reconciliation: view.reconciliation,
        },
      }
    },
  )
}
