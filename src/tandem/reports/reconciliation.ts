import type { Db } from '../db.ts'
import { listDailyCounts } from '../partner-api/counts.service.ts'

/**
 * Reconciliation (MEASUREMENT.md): Tandem's own daily counts for a partner (Inbox API sends accepted,
 * shim clicks on its messages) against the `tandem` rows the partner reported, flagging each cell
 * whose gap the declared noise does not explain.
 *
 * Two levels:
 * - a day cell (day × interface × surface × variant): the gap is compared with the declared per-cell
 *   95% half-width h. An honest report leaves about 5% of these outside (fewer: clamping at zero only
 *   shrinks errors), which the verdict allows for.
 * - a cell over the period (its 14 days summed): noise variances add, so the allowance grows as √14,
 *   not 14·h; the expected published value of each day is that of a clamped noisy count,
 *   E[max(0, x + η)], so small cells (where clamping biases the sum upward) are not flagged for it.
 *
 * What the partner may legitimately report below Tandem: sends removed by clipping (the manifest's
 * clipped share, taken as uniform over cells), and clicks Tandem saw but the partner did not confirm
 * (preview fetchers, scanners: MEASUREMENT.md counts confirmed clicks only). So sends are checked both
 * ways and clicks only for over-reporting.
 */

const Z95 = 1.959963984540054
const DAY_LEVEL_ALPHA = 0.05
/** The verdict turns discrepant when flags exceed this quantile of what honest noise would raise. */
const VERDICT_QUANTILE = 0.999

export interface ReportedRow {
  day: string
  interface: string
  surface: string
  variant: string
  recipientType: string
  sends: number
  clicks: number
  uniqueClicks: number
}

export interface DeclaredPrivacy {
  mechanism: string
  noiseScale?: number | null
  halfWidth95?: number | null
  clippedShare?: { sends?: number; clicks?: number } | null
}

export interface TandemCount {
  day: string
  interface: string
  surface: string
  variant: string
  sends: number
  clicks: number
  uniqueClicks: number
}

type Measure = 'sends' | 'clicks' | 'uniqueClicks'

export interface ReconciliationFlag {
  level: 'day' | 'period'
  day: string | null
  interface: string
  surface: string
  variant: string
  measure: Measure
  direction: 'under' | 'over'
  reported: number
  tandem: number
  /** How far past the noise allowance the report is. */
  excess: number
  allowance: number
}

export interface Reconciliation {
  verdict: 'consistent' | 'discrepant'
  noise: {
    mechanism: string
    scale: number | null
    halfWidth95: number
    /** Tandem's own quantile for the declared scale; a declared half-width far from it is noted. */
    expectedHalfWidth95: number | null
    manifestConsistent: boolean
  }
  checks: { day: number; period: number }
  flags: ReconciliationFlag[]
  flagCounts: { day: number; period: number }
  /** The most flags honest noise would raise, at the verdict's 99.9% level. */
  allowedFlags: { day: number; period: number }
  /** Cells (interface × surface × variant) where Tandem counted sends the report has no row for. */
  unreportedCells: number
  totals: {
    reportedSends: number
    tandemSends: number
    reportedUniqueClicks: number
    tandemUniqueClicks: number
  }
}

/** The discrete Laplace with scale b: P(k) = c·α^|k|. */
function lawOf(scale: number) {
  const alpha = Math.exp(-1 / scale)
  return { alpha, c: (1 - alpha) / (1 + alpha), variance: (2 * alpha) / (1 - alpha) ** 2 }
}

/** The smallest integer h with P(|η| ≤ h) ≥ 0.95 for the discrete Laplace with scale b. */
export function discreteHalfWidth95(scale: number): number {
  const alpha = Math.exp(-1 / scale)
  let h = Math.max(0, Math.ceil(Math.log((0.05 * (1 + alpha)) / 2) / Math.log(alpha)) - 1)
  const tail = (k: number) => (2 * alpha ** (k + 1)) / (1 + alpha)
  while (h > 0 && tail(h - 1) <= 0.05) h -= 1
  while (tail(h) > 0.05) h += 1
  return h
}

/**
 * Mean and variance of max(0, t + η), the published value of a true count t ≥ 0 (t may be fractional,
 * for a clipped expectation), in closed form. By symmetry of η, max(0, t + η) = t + η + (η − t)⁺ in
 * law, and with m the first integer above t, d = m − t, the tail sums are geometric:
 * E[(η − t)⁺] = c·α^m·(S1 + d·S0) and E[(η − t)²; η > t] = c·α^m·(S2 + 2d·S1 + d²·S0),
 * where c = (1−α)/(1+α), S0 = 1/(1−α), S1 = α/(1−α)², S2 = α(1+α)/(1−α)³.
 */
function clampedMoments(t: number, law: ReturnType<typeof lawOf> | null): { mean: number; variance: number } {
  if (!law) return { mean: t, variance: 0 }
  const { alpha, c } = law
  const m = Math.floor(t) + 1
  const d = m - t
  const s0 = 1 / (1 - alpha)
  const s1 = alpha / (1 - alpha) ** 2
  const s2 = (alpha * (1 + alpha)) / (1 - alpha) ** 3
  const tail = c * alpha ** m
  const mean = t + tail * (s1 + d * s0)
  const second = t * t + law.variance - tail * (s2 + 2 * d * s1 + d * d * s0)
  return { mean, variance: Math.max(0, second - mean * mean) }
}

/** The smallest m with P(Binomial(n, p) ≤ m) ≥ q. */
export function binomialQuantile(n: number, p: number, q: number): number {
  if (n === 0) return 0
  let logPmf = n * Math.log1p(-p)
  let cdf = Math.exp(logPmf)
  let m = 0
  while (cdf < q && m < n) {
    logPmf += Math.log((n - m) / (m + 1)) + Math.log(p / (1 - p))
    m += 1
    cdf += Math.exp(logPmf)
  }
  return m
}

const cellKey = (c: { interface: string; surface: string; variant: string }) =>
  `${c.interface}|${c.surface}|${c.variant}`

/**
 * Compares the report's `tandem` rows with Tandem's counts (pure). Every day cell the report covers is
 * checked, whether or not Tandem counted anything in it (a missing count is zero).
 */
export function compareCounts(
  rows: readonly ReportedRow[],
  privacy: DeclaredPrivacy,
  counts: readonly TandemCount[],
): Reconciliation {
  const scale = privacy.mechanism === 'none' ? null : (privacy.noiseScale ?? null)
  const law = scale && scale > 0 ? lawOf(scale) : null
  const expectedH = scale && scale > 0 ? discreteHalfWidth95(scale) : null
  const h = privacy.halfWidth95 ?? expectedH ?? 0
  const clipped = { sends: privacy.clippedShare?.sends ?? 0, clicks: privacy.clippedShare?.clicks ?? 0 }
  const tandemByDayCell = new Map(counts.map((c) => [`${c.day}|${cellKey(c)}`, c]))
  const flags: ReconciliationFlag[] = []
  const totals = { reportedSends: 0, tandemSends: 0, reportedUniqueClicks: 0, tandemUniqueClicks: 0 }
  type Sum = {
    reported: number
    tandem: number
    mean: number
    variance: number
    meanLow: number
    varianceLow: number
  }
  const periodSums = new Map<string, { cell: ReportedRow; sums: Record<Measure, Sum> }>()
  let dayChecks = 0

  for (const row of rows) {
    if (row.recipientType !== 'tandem') continue
    dayChecks += 1
    const t = tandemByDayCell.get(`${row.day}|${cellKey(row)}`) ?? { sends: 0, clicks: 0, uniqueClicks: 0 }
    totals.reportedSends += row.sends
    totals.tandemSends += t.sends
    totals.reportedUniqueClicks += row.uniqueClicks
    totals.tandemUniqueClicks += t.uniqueClicks
    let period = periodSums.get(cellKey(row))
    if (!period) {
      const zero = (): Sum => ({ reported: 0, tandem: 0, mean: 0, variance: 0, meanLow: 0, varianceLow: 0 })
      period = { cell: row, sums: { sends: zero(), clicks: zero(), uniqueClicks: zero() } }
      periodSums.set(cellKey(row), period)
    }
    for (const measure of ['sends', 'clicks', 'uniqueClicks'] as const) {
      const reported = row[measure]
      const tandem = t[measure]
      const share = measure === 'sends' ? clipped.sends : clipped.clicks
      const base = {
        level: 'day' as const,
        day: row.day,
        ...cellOf(row),
        measure,
        reported,
        tandem,
        allowance: h,
      }
      if (reported > tandem + h) flags.push({ ...base, direction: 'over', excess: reported - tandem - h })
      // Sends may fall short by what clipping removed; clicks may fall short by any amount.
      const floor = tandem * (1 - share)
      if (measure === 'sends' && reported < floor - h) {
        flags.push({ ...base, direction: 'under', excess: floor - h - reported })
      }
      const sum = period.sums[measure]
      const high = clampedMoments(tandem, law)
      const low = clampedMoments(floor, law)
      sum.reported += reported
      sum.tandem += tandem
      sum.mean += high.mean
      sum.variance += high.variance
      sum.meanLow += low.mean
      sum.varianceLow += low.variance
    }
  }

  for (const { cell, sums } of periodSums.values()) {
    for (const measure of ['sends', 'clicks', 'uniqueClicks'] as const) {
      const s = sums[measure]
      const base = {
        level: 'period' as const,
        day: null,
        ...cellOf(cell),
        measure,
        reported: s.reported,
        tandem: s.tandem,
      }
      const overAllowance = Math.max(h, Math.ceil(Z95 * Math.sqrt(s.variance)))
      if (s.reported > s.mean + overAllowance) {
        flags.push({
          ...base,
          direction: 'over',
          allowance: overAllowance,
          excess: s.reported - s.mean - overAllowance,
        })
      }
      const underAllowance = Math.max(h, Math.ceil(Z95 * Math.sqrt(s.varianceLow)))
      if (measure === 'sends' && s.reported < s.meanLow - underAllowance) {
        flags.push({
          ...base,
          direction: 'under',
          allowance: underAllowance,
          excess: s.meanLow - underAllowance - s.reported,
        })
      }
    }
  }

  // Sends Tandem counted in a cell the report does not have (an undeclared variant): unreported.
  const missing = new Map<string, { cell: TandemCount; sends: number }>()
  for (const c of counts) {
    if (periodSums.has(cellKey(c)) || c.sends === 0) continue
    const m = missing.get(cellKey(c)) ?? { cell: c, sends: 0 }
    m.sends += c.sends
    missing.set(cellKey(c), m)
  }
  let unreported = 0
  for (const { cell, sends } of missing.values()) {
    if (sends <= h) continue
    unreported += 1
    flags.push({
      level: 'period',
      day: null,
      ...cellOf(cell),
      measure: 'sends',
      direction: 'under',
      reported: 0,
      tandem: sends,
      allowance: h,
      excess: sends - h,
    })
  }

  const checks = { day: dayChecks * 3, period: periodSums.size * 3 + missing.size }
  const flagCounts = {
    day: flags.filter((f) => f.level === 'day').length,
    period: flags.filter((f) => f.level === 'period').length,
  }
  // Each check is a 95% interval (sends two-sided; clicks one-sided, so 2.5%); 5% bounds both.
  const allowedFlags = {
    day: law ? binomialQuantile(checks.day, DAY_LEVEL_ALPHA, VERDICT_QUANTILE) : 0,
    period: law ? binomialQuantile(checks.period, DAY_LEVEL_ALPHA, VERDICT_QUANTILE) : 0,
  }
  // Noise cannot hide a whole cell: one unreported cell is enough.
  const discrepant =
    unreported > 0 || flagCounts.day > allowedFlags.day || flagCounts.period > allowedFlags.period
  return {
    verdict: discrepant ? 'discrepant' : 'consistent',
    noise: {
      mechanism: privacy.mechanism,
      scale,
      halfWidth95: h,
      expectedHalfWidth95: expectedH,
      manifestConsistent: expectedH === null ? h === 0 : Math.abs(h - expectedH) <= 1,
    },
    checks,
    flags,
    flagCounts,
    allowedFlags,
    unreportedCells: unreported,
    totals,
  }
}

const cellOf = (r: { interface: string; surface: string; variant: string }) => ({
  interface: r.interface,
  surface: r.surface,
  variant: r.variant,
})

/** Reconciles a report with Tandem's counts for the partner over the report's period. */
export async function reconcile(
  db: Db,
  clientId: string,
  report: { period: { start: string; end: string }; rows: readonly ReportedRow[]; privacy: DeclaredPrivacy },
): Promise<Reconciliation> {
  const counts = await listDailyCounts(db, clientId, { from: report.period.start, to: report.period.end })
  return compareCounts(report.rows, report.privacy, counts)
}
