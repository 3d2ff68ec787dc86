import type { BuiltReport } from './builder.ts'

/**
 * Experiment statistics per variant (MEASUREMENT.md): click-through with a delta-method interval that
 * adds the known noise variance, a sample-ratio-mismatch χ² test per day and interface, no estimate
 * below 150 sends per arm, and senders seen in more than one variant excluded and counted.
 */

export const MIN_SENDS_PER_ARM = 150
export const SRM_ALPHA = 0.001
const Z95 = 1.959963984540054

// Lanczos approximation (g = 7, n = 9), good to ~15 digits for x > 0.
const LANCZOS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
  12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
]

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x)
  const z = x - 1
  let sum = LANCZOS[0]!
  for (let i = 1; i < 9; i++) sum += LANCZOS[i]! / (z + i)
  const t = z + 7.5
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum)
}

/**
 * The regularised upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a): by its series below a + 1,
 * by Lentz's continued fraction above (where the series would lose the small tail to cancellation).
 */
export function upperGammaQ(a: number, x: number): number {
  if (x <= 0) return 1
  const logPrefix = a * Math.log(x) - x - logGamma(a)
  if (x < a + 1) {
    let term = 1 / a
    let sum = term
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n)
      sum += term
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break
    }
    return Math.max(0, 1 - sum * Math.exp(logPrefix))
  }
  const tiny = 1e-300
  let b = x + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let h = d
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < tiny) d = tiny
    c = b + an / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return Math.exp(logPrefix) * h
}

/** P(χ²_df ≥ x). */
export const chiSquareSurvival = (x: number, df: number) => upperGammaQ(df / 2, x / 2)

export interface SrmResult {
  observed: number[]
  expected: number[]
  chi2: number
  df: number
  pValue: number
  flagged: boolean
}

/**
 * Pearson's χ² goodness of fit of the senders per arm against the configured weights; flagged at
 * p < 0.001. Null when there is nobody to test.
 */
export function srmTest(observed: readonly number[], weights: readonly number[]): SrmResult | null {
  const total = observed.reduce((a, b) => a + b, 0)
  const weightSum = weights.reduce((a, b) => a + b, 0)
  if (total <= 0 || weightSum <= 0 || observed.length !== weights.length || observed.length < 2) return null
  const expected = weights.map((w) => (total * w) / weightSum)
  let chi2 = 0
  observed.forEach((o, i) => {
    const e = expected[i]!
    if (e > 0) chi2 += (o - e) ** 2 / e
  })
  const df = weights.filter((w) => w > 0).length - 1
  const pValue = chiSquareSurvival(chi2, df)
  return { observed: [...observed], expected, chi2, df, pValue, flagged: pValue < SRM_ALPHA }
}

export interface ArmCounts {
  variant: string
  /** Sends and confirmed unique clicks (noisy when the report is). */
  sends: number
  uniqueClicks: number
  /** The variance of the noise in each of the two sums: cells summed × the law's variance; 0 if exact. */
  noiseVarianceSends: number
  noiseVarianceClicks: number
}

export interface ClickThrough {
  estimate: number
  standardError: number
  low: number
  high: number
}

/**
 * CTR = Y/X with the delta method: Var(Y/X) ≈ (Var Y + R²·Var X) / X² with, for Y, the binomial
 * sampling variance X·R(1−R) plus the noise variance, and for X the noise variance (X given the
 * sends is fixed; the two noises are independent, so no covariance). Null below 150 sends.
 */
export function clickThrough(arm: ArmCounts): ClickThrough | null {
  const x = arm.sends
  if (!(x >= MIN_SENDS_PER_ARM)) return null
  const r = Math.min(1, Math.max(0, arm.uniqueClicks / x))
  const variance = (x * r * (1 - r) + arm.noiseVarianceClicks + r * r * arm.noiseVarianceSends) / (x * x)
  const se = Math.sqrt(variance)
  return { estimate: r, standardError: se, low: Math.max(0, r - Z95 * se), high: Math.min(1, r + Z95 * se) }
}

export interface Lift {
  variant: string
  against: string
  difference: number
  low: number
  high: number
}

/** Each arm's CTR minus the first arm's (the control), with the variances added; null below 150. */
export function lifts(arms: readonly ArmCounts[]): Lift[] {
  const [control, ...others] = arms
  if (!control) return []
  const base = clickThrough(control)
  const out: Lift[] = []
  for (const arm of others) {
    const ctr = clickThrough(arm)
    if (!base || !ctr) continue
    const se = Math.sqrt(base.standardError ** 2 + ctr.standardError ** 2)
    const difference = ctr.estimate - base.estimate
    out.push({
      variant: arm.variant,
      against: control.variant,
      difference,
      low: difference - Z95 * se,
      high: difference + Z95 * se,
    })
  }
  return out
}

/** One sender's activity in one day, interface and variant (Marquee's sender_daily_sends, summed). */
export interface SenderArmDay {
  senderId: string
  day: string
  interface: string
  variant: string
  sends: number
  uniqueClicks: number
}

/** Senders seen in more than one variant over the period, and what they contributed per variant. */
export function crossoverSenders(rows: readonly SenderArmDay[]) {
  const variantsOf = new Map<string, Set<string>>()
  for (const r of rows) {
    const set = variantsOf.get(r.senderId) ?? new Set()
    set.add(r.variant)
    variantsOf.set(r.senderId, set)
  }
  const crossed = new Set([...variantsOf].filter(([, v]) => v.size > 1).map(([id]) => id))
  const byVariant = new Map<string, { sends: number; uniqueClicks: number }>()
  for (const r of rows) {
    if (!crossed.has(r.senderId)) continue
    const t = byVariant.get(r.variant) ?? { sends: 0, uniqueClicks: 0 }
    t.sends += r.sends
    t.uniqueClicks += r.uniqueClicks
    byVariant.set(r.variant, t)
  }
  return { senders: crossed, byVariant }
}

export interface ExperimentInput {
  /** The arms in order, the control first, with their configured weights. */
  arms: readonly { name: string; weight: number }[]
  /** Per variant: sends and unique clicks, with their noise variances. */
  counts: readonly ArmCounts[]
  /** Per sender, day, interface and variant: for the SRM test and the crossover exclusion. */
  senders: readonly SenderArmDay[]
}

export interface ExperimentStats {
  arms: { variant: string; sends: number; uniqueClicks: number; clickThrough: ClickThrough | null }[]
  lifts: Lift[]
  srm: ({ day: string; interface: string } & SrmResult)[]
  srmFlagged: boolean
  excludedSenders: number
  minSendsPerArm: number
}

/**
 * The experiment section: crossover senders' sends and clicks are taken out of their arms' counts and
 * out of the SRM tallies, and counted; SRM compares distinct senders per arm for each day and
 * interface against the configured weights.
 */
export function experimentStats(input: ExperimentInput): ExperimentStats {
  const crossover = crossoverSenders(input.senders)
  const arms = input.arms.map((arm) => {
    const counts = input.counts.find((c) => c.variant === arm.name)
    const removed = crossover.byVariant.get(arm.name) ?? { sends: 0, uniqueClicks: 0 }
    return {
      variant: arm.name,
      sends: (counts?.sends ?? 0) - removed.sends,
      uniqueClicks: (counts?.uniqueClicks ?? 0) - removed.uniqueClicks,
      noiseVarianceSends: counts?.noiseVarianceSends ?? 0,
      noiseVarianceClicks: counts?.noiseVarianceClicks ?? 0,
    }
  })
  const tallies = new Map<string, { day: string; interface: string; senders: Map<string, Set<string>> }>()
  for (const r of input.senders) {
    if (crossover.senders.has(r.senderId)) continue
    const key = `${r.day}|${r.interface}`
    let t = tallies.get(key)
    if (!t) {
      t = { day: r.day, interface: r.interface, senders: new Map() }
      tallies.set(key, t)
    }
    const set = t.senders.get(r.variant) ?? new Set()
    set.add(r.senderId)
    t.senders.set(r.variant, set)
  }
  const weights = input.arms.map((a) => a.weight)
  const srm = [...tallies.values()]
    .sort((a, b) => a.day.localeCompare(b.day) || a.interface.localeCompare(b.interface))
    .flatMap((t) => {
      const result = srmTest(
        input.arms.map((a) => t.senders.get(a.name)?.size ?? 0),
        weights,
      )
      return result ? [{ day: t.day, interface: t.interface, ...result }] : []
    })
  return {
    arms: arms.map((a) => ({
      variant: a.variant,
      sends: a.sends,
      uniqueClicks: a.uniqueClicks,
      clickThrough: clickThrough(a),
    })),
    lifts: lifts(arms),
    srm,
    srmFlagged: srm.some((s) => s.flagged),
    excludedSenders: crossover.senders.size,
    minSendsPerArm: MIN_SENDS_PER_ARM,
  }
}

/**
 * Per-variant counts from a built report: the noisy counts before clamping (unbiased; post-processing
 * of the release, so free of budget), with the noise variance of each sum.
 */
export function armCountsFromReport(built: BuiltReport): ArmCounts[] {
  const variance = built.law?.variance ?? 0
  const arms = new Map<string, ArmCounts>()
  built.report.rows.forEach((row, i) => {
    const counts = built.unclamped[i]!
    const arm = arms.get(row.variant) ?? {
      variant: row.variant,
      sends: 0,
      uniqueClicks: 0,
      noiseVarianceSends: 0,
      noiseVarianceClicks: 0,
    }
    arm.sends += counts.sends
    arm.uniqueClicks += counts.uniqueClicks
    arm.noiseVarianceSends += variance
    arm.noiseVarianceClicks += variance
    arms.set(row.variant, arm)
  })
  return [...arms.values()]
}
