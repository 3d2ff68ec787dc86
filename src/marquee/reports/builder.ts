import { AppError } from '../../lib/errors.ts'
import { INTERFACES, RECIPIENT_TYPES, SURFACES } from '../../lib/measurement-dimensions.ts'
import { SHARE_DIALOG } from '../experiments/experiments.service.ts'
import { cryptoRandom, type NoiseLaw, noiseLaw, type RandomSource, sampleDiscreteLaplace } from './noise.ts'

export const REPORT_SCHEMA = 'tandem.partner-report/1'
export const PERIOD_DAYS = 14
export const DEFAULT_CLIP = 20
export const DEFAULT_EPSILON_PER_DAY = 1
export const DEFAULT_SUPPRESS_BELOW = 10
const DAY_MS = 86_400_000

export const MEASURES = ['sends', 'clicks', 'uniqueClicks'] as const
export type Measure = (typeof MEASURES)[number]
type Counts = Record<Measure, number>

/** One cell of the closed domain: a UTC day × interface × surface × variant × recipient type. */
export interface CellKey {
  day: string
  interface: string
  surface: string
  variant: string
  recipientType: string
}

export interface RollupCell extends CellKey, Counts {}

/** One sender's counts in one cell on one day (Marquee's sender_daily_sends). */
export interface SenderDayCell extends RollupCell {
  senderId: string
}

/**
 * What the builder reads (MEASUREMENT.md: a report reads rollups only). Implemented over Marquee's
 * rollup tables, and in memory by the tests.
 */
export interface RollupSource {
  /** The rollup rows for days from..to (inclusive); a missing row is a cell of zeros. */
  cells(from: string, to: string): Promise<RollupCell[]>
  /**
   * Every per-sender row of the sender-days that exceed the contribution bound (more than `cap` sends,
   * or more than `cap` clicks, in the day): only these need clipping, so the cost follows them, not
   * the number of events.
   */
  sendersOverCap(from: string, to: string, cap: number): Promise<SenderDayCell[]>
  /**
   * What clipping at `cap` removes from each cell, summed at ingest, when the source keeps it for this
   * bound and these variants; undefined otherwise (the builder then clips sendersOverCap's rows itself).
   */
  clipped?(
    from: string,
    to: string,
    cap: number,
    variants: readonly string[],
  ): Promise<RollupCell[] | undefined>
}

/** What a report reads: the cells, and either the rows to clip or what clipping removes per cell. */
export interface PeriodData {
  rollups: readonly RollupCell[]
  overCap: readonly SenderDayCell[]
  removed?: readonly RollupCell[]
}

/**
 * Reads a report's period from a RollupSource (refused when the period is not yet reportable): the
 * precomputed clipping when it has one, else the rows to clip.
 */
export async function readPeriod(
  source: RollupSource,
  options: Pick<BuildOptions, 'periodStart' | 'now' | 'variants' | 'clip'>,
): Promise<PeriodData> {
  const from = options.periodStart
  const to = addDays(from, PERIOD_DAYS - 1)
  const cap = options.clip ?? DEFAULT_CLIP
  const variants = options.variants ?? SHARE_DIALOG.arms.map((a) => a.name)
  periodStatus(from, options.now)
  const [rollups, removed] = await Promise.all([
    source.cells(from, to),
    source.clipped?.(from, to, cap, variants),
  ])
  if (removed) return { rollups, overCap: [], removed }
  return { rollups, overCap: await source.sendersOverCap(from, to, cap) }
}

export type NoiseMode =
  | { mode: 'laplace'; epsilonPerDay?: number; rng?: RandomSource }
  /** Internal use only: exact counts, cells under k suppressed, with complementary suppression. */
  | { mode: 'none'; suppressBelow?: number }

export interface BuildOptions {
  /** Marquee's client id at Tandem. */
  partner: string
  /** The first UTC day of the 14. */
  periodStart: string
  now: Date
  /** The implementation variants; the share dialog's arms by default. */
  variants?: readonly string[]
  /** C: counted sends (and clicks) per sender per day. */
  clip?: number
  noise: NoiseMode
  supersedes?: string
}

export interface ReportRow extends CellKey {
  /** null only in the internal no-noise mode, for a suppressed cell. */
  sends: number | null
  clicks: number | null
  uniqueClicks: number | null
}

export interface PrivacyManifest {
  mechanism: 'discrete_laplace' | 'none'
  /** The privacy unit: one sending account on one UTC day. */
  unit: 'sender_day'
  epsilonPerDay: number | null
  epsilonTotal: number | null
  contributionBound: { sendsPerSenderPerDay: number; clicksPerSenderPerDay: number }
  /** L1 sensitivity of one day's release (sends + clicks + unique clicks over every cell). */
  sensitivity: number
  /** b = Δ/ε: the noise on every count is discrete Laplace with P(k) ∝ exp(−|k|/b). */
  noiseScale: number | null
  noiseVariance: number | null
  /** Per cell and measure: |published − clipped truth| ≤ this with probability ≥ 95%. */
  halfWidth95: number | null
  halfWidth95Basis: string | null
  /** The share of sends and of clicks that clipping removed. */
  clippedShare: { sends: number; clicks: number }
  postProcessing: string[]
  suppression: { below: number; cells: number } | null
}

export interface PartnerReport {
  schema: typeof REPORT_SCHEMA
  partner: string
  period: { start: string; end: string }
  generatedAt: string
  status: 'provisional' | 'final'
  supersedes?: string
  dimensions: { interface: string[]; surface: string[]; variant: string[]; recipientType: string[] }
  rows: ReportRow[]
  privacy: PrivacyManifest
}

export interface BuiltReport {
  report: PartnerReport
  /** For Marquee's own statistics: the noisy counts before clamping (unbiased), in row order. */
  unclamped: Counts[]
  /** The noise law, when noise was added. */
  law: NoiseLaw | null
}

export const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10)

export const periodDays = (start: string) => Array.from({ length: PERIOD_DAYS }, (_, i) => addDays(start, i))

const keyOf = (c: CellKey) => `${c.day}|${c.interface}|${c.surface}|${c.variant}|${c.recipientType}`

/** Every cell of the closed domain over the period, in a fixed order (day, interface, surface, variant, type). */
export function domainCells(periodStart: string, variants: readonly string[]): CellKey[] {
  const cells: CellKey[] = []
  for (const day of periodDays(periodStart))
    for (const iface of INTERFACES)
      for (const surface of SURFACES)
        for (const variant of variants)
          for (const recipientType of RECIPIENT_TYPES)
            cells.push({ day, interface: iface, surface, variant, recipientType })
  return cells
}

/**
 * The report's status: each day is final at T+5 days (from the start of the day), provisional from T+2;
 * a period whose last day is not yet T+2 cannot be reported (MEASUREMENT.md "Events").
 */
export function periodStatus(periodStart: string, now: Date): 'provisional' | 'final' {
  const lastDay = Date.parse(`${addDays(periodStart, PERIOD_DAYS - 1)}T00:00:00Z`)
  if (now.getTime() < lastDay + 2 * DAY_MS) {
    throw new AppError(409, 'period_not_ready', 'the period’s last day is not yet two days old')
  }
  return now.getTime() >= lastDay + 5 * DAY_MS ? 'final' : 'provisional'
}

/** Largest-remainder apportionment of `total` over weights: integers that sum to `total`. */
export function apportion(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  if (sum === 0) return weights.map(() => 0)
  const exact = weights.map((w) => (w * total) / sum)
  const out = exact.map(Math.floor)
  let left = total - out.reduce((a, b) => a + b, 0)
  const order = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (const [, i] of order) {
    if (left <= 0) break
    out[i]! += 1
    left -= 1
  }
  return out
}

/**
 * Clips one sender-day to C sends and C clicks: sends are kept in proportion across the sender's cells
 * (largest remainder, so integers that sum to C), clicks and unique clicks in proportion to the sends
 * kept in each cell, then clicks to C in all. Unique clicks never exceed the sends kept in their cell.
 * Returns what to subtract from each cell.
 */
export function clipSenderDay(rows: readonly SenderDayCell[], cap: number): Counts[] {
  const sends = rows.reduce((a, r) => a + r.sends, 0)
  const keptSends =
    sends > cap
      ? apportion(
          rows.map((r) => r.sends),
          cap,
        )
      : rows.map((r) => r.sends)
  const scaledClicks = rows.map((r, i) =>
    r.sends === 0 ? r.clicks : Math.round((r.clicks * keptSends[i]!) / r.sends),
  )
  const clicksTotal = scaledClicks.reduce((a, b) => a + b, 0)
  const keptClicks = clicksTotal > cap ? apportion(scaledClicks, cap) : scaledClicks
  return rows.map((r, i) => {
    const kept = keptSends[i]!
    const unique = Math.min(
      r.uniqueClicks,
      kept,
      keptClicks[i]!,
      r.sends === 0 ? 0 : Math.round((r.uniqueClicks * kept) / r.sends),
    )
    return { sends: r.sends - kept, clicks: r.clicks - keptClicks[i]!, uniqueClicks: r.uniqueClicks - unique }
  })
}

/** The clipped truth per cell of the domain, and the share clipping removed. */
export function clippedCells(
  domain: readonly CellKey[],
  rollups: readonly RollupCell[],
  overCap: readonly SenderDayCell[],
  cap: number,
  removed?: readonly RollupCell[],
) {
  const index = new Map(domain.map((c, i) => [keyOf(c), i]))
  const counts: Counts[] = domain.map(() => ({ sends: 0, clicks: 0, uniqueClicks: 0 }))
  let totalSends = 0
  let totalClicks = 0
  for (const r of rollups) {
    const i = index.get(keyOf(r))
    // Outside the closed domain (an arm no longer configured, say): not reportable, not counted.
    if (i === undefined) continue
    for (const m of MEASURES) counts[i]![m] += r[m]
    totalSends += r.sends
    totalClicks += r.clicks
  }
  let clippedSends = 0
  let clippedClicks = 0
  const subtract = (i: number, taken: Counts) => {
    const cell = counts[i]!
    for (const m of MEASURES) cell[m] = Math.max(0, cell[m] - taken[m])
    clippedSends += taken.sends
    clippedClicks += taken.clicks
  }
  if (removed) {
    // Clipping already worked out per sender-day (at ingest) and summed per cell.
    for (const r of removed) {
      const i = index.get(keyOf(r))
      if (i !== undefined) subtract(i, r)
    }
  } else {
    const bySenderDay = new Map<string, { rows: SenderDayCell[]; cells: number[] }>()
    for (const r of overCap) {
      const i = index.get(keyOf(r))
      if (i === undefined) continue
      const k = `${r.senderId}|${r.day}`
      const group = bySenderDay.get(k)
      if (group) {
        group.rows.push(r)
        group.cells.push(i)
      } else bySenderDay.set(k, { rows: [r], cells: [i] })
    }
    for (const { rows, cells } of bySenderDay.values()) {
      for (const [j, taken] of clipSenderDay(rows, cap).entries()) subtract(cells[j]!, taken)
    }
  }
  return {
    counts,
    clippedShare: {
      sends: totalSends === 0 ? 0 : clippedSends / totalSends,
      clicks: totalClicks === 0 ? 0 : clippedClicks / totalClicks,
    },
  }
}

/** The groups of cells whose totals the internal view shows: per day, and per day × each dimension value. */
function totalGroups(domain: readonly CellKey[]): number[][] {
  const groups = new Map<string, number[]>()
  const add = (k: string, i: number) => {
    const g = groups.get(k)
    if (g) g.push(i)
    else groups.set(k, [i])
  }
  domain.forEach((c, i) => {
    add(`${c.day}`, i)
    add(`${c.day}|i:${c.interface}`, i)
    add(`${c.day}|s:${c.surface}`, i)
    add(`${c.day}|v:${c.variant}`, i)
    add(`${c.day}|r:${c.recipientType}`, i)
  })
  return [...groups.values()]
}

/**
 * Primary suppression of counts in 1..k−1, then complementary suppression: any total the internal view
 * shows (per day, per day × dimension value) with exactly one suppressed cell gets a second one, the
 * smallest other non-zero cell, so no suppressed cell is the difference of a total and published
 * cells. Zero cells stay published (a zero reveals no one); a group whose only other cells are zeros
 * would still reveal the suppressed count, so there a zero cell is suppressed too. Repeats to a fixed
 * point, since each complementary suppression can break another group.
 */
export function suppress(values: readonly number[], groups: readonly number[][], k: number): boolean[] {
  const hidden = values.map((v) => v > 0 && v < k)
  for (let changed = true; changed; ) {
    changed = false
    for (const group of groups) {
      const suppressed = group.filter((i) => hidden[i])
      if (suppressed.length !== 1) continue
      const candidates = group.filter((i) => !hidden[i])
      if (candidates.length === 0) continue
      candidates.sort(
        (a, b) => (values[a]! === 0 ? 1 : 0) - (values[b]! === 0 ? 1 : 0) || values[a]! - values[b]! || a - b,
      )
      hidden[candidates[0]!] = true
      changed = true
    }
  }
  return hidden
}

const HALF_WIDTH_BASIS =
  'the discrete law’s own 95% quantile, the smallest integer h with P(|noise| ≤ h) ≥ 0.95; (Δ/ε)·ln(20) is the continuous Laplace figure and covers slightly less than 95% of integer noise'

/** Builds the report from what a RollupSource returned (pure: randomness comes from options). */
export function buildReportFrom(data: PeriodData, options: BuildOptions): BuiltReport {
  const variants = [...(options.variants ?? SHARE_DIALOG.arms.map((a) => a.name))]
  const cap = options.clip ?? DEFAULT_CLIP
  const status = periodStatus(options.periodStart, options.now)
  const domain = domainCells(options.periodStart, variants)
  const { counts, clippedShare } = clippedCells(domain, data.rollups, data.overCap, cap, data.removed)
  // One sender-day moves at most C sends, C clicks and C unique clicks (unique ≤ sends) in its day.
  const sensitivity = 3 * cap
  const base: Omit<PartnerReport, 'rows' | 'privacy'> = {
    schema: REPORT_SCHEMA,
    partner: options.partner,
    period: { start: options.periodStart, end: addDays(options.periodStart, PERIOD_DAYS - 1) },
    generatedAt: options.now.toISOString(),
    status,
    ...(options.supersedes ? { supersedes: options.supersedes } : {}),
    dimensions: {
      interface: [...INTERFACES],
      surface: [...SURFACES],
      variant: variants,
      recipientType: [...RECIPIENT_TYPES],
    },
  }
  const contributionBound = { sendsPerSenderPerDay: cap, clicksPerSenderPerDay: cap }

  if (options.noise.mode === 'none') {
    const k = options.noise.suppressBelow ?? DEFAULT_SUPPRESS_BELOW
    const groups = totalGroups(domain)
    const hidden = Object.fromEntries(
      MEASURES.map((m) => [
        m,
        suppress(
          counts.map((c) => c[m]),
          groups,
          k,
        ),
      ]),
    ) as Record<Measure, boolean[]>
    const rows = domain.map((cell, i) => ({
      ...cell,
      sends: hidden.sends[i] ? null : counts[i]!.sends,
      clicks: hidden.clicks[i] ? null : counts[i]!.clicks,
      uniqueClicks: hidden.uniqueClicks[i] ? null : counts[i]!.uniqueClicks,
    }))
    const suppressedCells = MEASURES.reduce((n, m) => n + hidden[m].filter(Boolean).length, 0)
    return {
      report: {
        ...base,
        rows,
        privacy: {
          mechanism: 'none',
          unit: 'sender_day',
          epsilonPerDay: null,
          epsilonTotal: null,
          contributionBound,
          sensitivity,
          noiseScale: null,
          noiseVariance: null,
          halfWidth95: 0,
          halfWidth95Basis: null,
          clippedShare,
          postProcessing: [
            `counts in 1..${k - 1} suppressed, with complementary suppression within each day and day × dimension total`,
          ],
          suppression: { below: k, cells: suppressedCells },
        },
      },
      unclamped: counts,
      law: null,
    }
  }

  const epsilonPerDay = options.noise.epsilonPerDay ?? DEFAULT_EPSILON_PER_DAY
  const law = noiseLaw(sensitivity, epsilonPerDay)
  const rng = options.noise.rng ?? cryptoRandom
  const unclamped = counts.map((c) => ({
    sends: c.sends + sampleDiscreteLaplace(rng, law.exactScale),
    clicks: c.clicks + sampleDiscreteLaplace(rng, law.exactScale),
    uniqueClicks: c.uniqueClicks + sampleDiscreteLaplace(rng, law.exactScale),
  }))
  const rows = domain.map((cell, i) => ({
    ...cell,
    sends: Math.max(0, unclamped[i]!.sends),
    clicks: Math.max(0, unclamped[i]!.clicks),
    uniqueClicks: Math.max(0, unclamped[i]!.uniqueClicks),
  }))
  return {
    report: {
      ...base,
      rows,
      privacy: {
        mechanism: 'discrete_laplace',
        unit: 'sender_day',
        epsilonPerDay,
        epsilonTotal: Math.round(epsilonPerDay * PERIOD_DAYS * 1e9) / 1e9,
        contributionBound,
        sensitivity,
        noiseScale: law.scale,
        noiseVariance: law.variance,
        halfWidth95: law.halfWidth95,
        halfWidth95Basis: HALF_WIDTH_BASIS,
        clippedShare,
        postProcessing: [
          'integers: the noise is integer-valued, so no rounding is needed',
          'clamped at zero: a count below zero is published as 0 (the 95% interval still covers, more often)',
          'consistent totals: only the finest cells are published; every day or dimension total is the sum of its cells, with variance the sum of theirs',
        ],
        suppression: null,
      },
    },
    unclamped,
    law,
  }
}

/** Reads the period from a RollupSource and builds the report. */
export async function buildReport(source: RollupSource, options: BuildOptions): Promise<BuiltReport> {
  return buildReportFrom(await readPeriod(source, options), options)
}

/**
 * The 95% half-width of a sum of n published cells (a day total, a cell over the period): the noise
 * variances add, so the width grows as √n, not n. Normal approximation, fine from a few cells on;
 * never below the single-cell width.
 */
export function sumHalfWidth95(law: Pick<NoiseLaw, 'variance' | 'halfWidth95'>, cells: number): number {
  if (cells <= 1) return law.halfWidth95
  return Math.max(law.halfWidth95, Math.ceil(1.959964 * Math.sqrt(cells * law.variance)))
}
