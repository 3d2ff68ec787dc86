import { decodeJwt } from 'jose'
import { AppError } from '../../lib/errors.ts'
import type { Db } from '../db.ts'
import { SHARE_DIALOG } from '../experiments/experiments.service.ts'
import type { PartnerReport } from './builder.ts'
import { findReportVersion, type ReportVersionRow, selectAllReportVersions } from './reports.repository.ts'
import { rollupSource } from './rollup-source.ts'
import { type ArmCounts, type ExperimentStats, experimentStats } from './stats.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The reconciliation fields the page shows (Tandem's answer, stored as it came). */
export interface ReconciliationSummary {
  verdict: string
  flags: unknown[]
  totals?: Record<string, number>
}

export interface ReportView {
  version: ReportVersionRow
  report: PartnerReport
  experiment: ExperimentStats
  reconciliation: ReconciliationSummary | null
}

/** What leaves the server about a version: no JWS internals beyond the signed payload itself. */
export function presentVersion(v: ReportVersionRow) {
  return {
    id: v.id,
    periodStart: v.periodStart,
    periodEnd: v.periodEnd,
    status: v.status,
    supersedes: v.supersedes,
    epsilonPerDay: v.epsilonPerDay ?? null,
    createdAt: v.createdAt.toISOString(),
    delivered: Boolean(v.tandemReportId),
    tandemReportId: v.tandemReportId ?? null,
    deliveredAt: v.deliveredAt ? v.deliveredAt.toISOString() : null,
    reconciliationVerdict: (v.reconciliation as ReconciliationSummary | null)?.verdict ?? null,
  }
}

export const listReportVersions = (db: Db) => selectAllReportVersions(db)

/** The signed payload of a version (Marquee signed it, so it is trusted as stored). */
export const payloadOf = (v: ReportVersionRow) => decodeJwt(v.jws) as unknown as PartnerReport

/**
 * Per-variant counts from the published rows (for a version stored without its unclamped sums): the
 * rows are clamped at zero, so a sum is biased up by the clamped noise; the variance of each sum is
 * the cells summed × the law's variance.
 */
export function armCountsFromRows(report: PartnerReport): ArmCounts[] {
  const variance = report.privacy.noiseVariance ?? 0
  return report.dimensions.variant.map((variant) => {
    const rows = report.rows.filter((r) => r.variant === variant)
    return {
      variant,
      sends: rows.reduce((a, r) => a + (r.sends ?? 0), 0),
      uniqueClicks: rows.reduce((a, r) => a + (r.uniqueClicks ?? 0), 0),
      noiseVarianceSends: rows.length * variance,
      noiseVarianceClicks: rows.length * variance,
    }
  })
}

/** A version with its payload, the experiment statistics and Tandem's reconciliation; 404 if unknown. */
export async function loadReportView(db: Db, id: string): Promise<ReportView> {
  const version = UUID.test(id) ? await findReportVersion(db, id.toLowerCase()) : undefined
  if (!version) throw new AppError(404, 'report_not_found', 'no such report version')
  const report = payloadOf(version)
  const senders = await rollupSource(db).senderArms(report.period.start, report.period.end)
  const arms = SHARE_DIALOG.arms.filter((a) => report.dimensions.variant.includes(a.name))
  // The unclamped sums stored at release are unbiased; the clamped rows are the fallback.
  const counts = Array.isArray(version.armCounts)
    ? (version.armCounts as ArmCounts[])
    : armCountsFromRows(report)
  const experiment = experimentStats({ arms, counts, senders })
  return {
    version,
    report,
    experiment,
    reconciliation: (version.reconciliation as ReconciliationSummary | null) ?? null,
  }
}

/** Every row of the report as CSV, a header first; suppressed counts (internal mode) are empty. */
export function reportCsv(report: PartnerReport): string {
  const lines = ['day,interface,surface,variant,recipient_type,sends,clicks,unique_clicks']
  for (const r of report.rows) {
    lines.push(
      [
        r.day,
        r.interface,
        r.surface,
        r.variant,
        r.recipientType,
        r.sends ?? '',
        r.clicks ?? '',
        r.uniqueClicks ?? '',
      ]
        .map(String)
        .join(','),
    )
  }
  return `${lines.join('\n')}\n`
}
