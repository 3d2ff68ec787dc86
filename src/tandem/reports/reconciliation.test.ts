import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  binomialQuantile,
  compareCounts,
  discreteHalfWidth95,
  type ReportedRow,
  type TandemCount,
} from './reconciliation.ts'
import { discreteLaplace, seededUniform } from './simulated-partner.ts'

const seeded = seededUniform
const laplace = discreteLaplace

const B = 60
const privacy = {
  mechanism: 'discrete_laplace',
  noiseScale: B,
  halfWidth95: 180,
  clippedShare: { sends: 0, clicks: 0 },
}
const days = Array.from({ length: 14 }, (_, i) => `2026-03-${String(i + 1).padStart(2, '0')}`)
const cells = ['web', 'tv', 'mobile'].flatMap((iface) =>
  ['title_page', 'post_play', 'browse_row', 'search', 'watch_party_end'].flatMap((surface) =>
    ['classic', 'quick'].map((variant) => ({ interface: iface, surface, variant })),
  ),
)

/** Tandem's counts: big cells on the web, small ones on TV (where clamping at zero matters), some empty. */
function tandemCounts(seed: number): TandemCount[] {
  const u = seeded(seed)
  return days.flatMap((day) =>
    cells.map((c) => {
      const size =
        c.interface === 'web' ? 3000 : c.interface === 'mobile' ? 600 : c.surface === 'search' ? 0 : 40
      const sends = Math.round(size * (0.8 + 0.4 * u()))
      const uniqueClicks = Math.round(sends * 0.3)
      return { day, ...c, sends, clicks: uniqueClicks + Math.round(sends * 0.05), uniqueClicks }
    }),
  )
}

/** What an honest partner publishes: its own (here: Tandem's) counts plus noise, clamped; external rows too. */
function honestRows(
  counts: readonly TandemCount[],
  seed: number,
  adjust = (_: TandemCount, _m: string, v: number) => v,
) {
  const u = seeded(seed)
  const noisy = (v: number) => Math.max(0, v + laplace(u, B))
  return counts.flatMap((c): ReportedRow[] => [
    {
      ...c,
      recipientType: 'tandem',
      sends: noisy(adjust(c, 'sends', c.sends)),
      // the partner confirms fewer clicks than pass through the shim (previews, scanners)
      clicks: noisy(adjust(c, 'clicks', Math.round(c.clicks * 0.9))),
      uniqueClicks: noisy(adjust(c, 'uniqueClicks', Math.round(c.uniqueClicks * 0.9))),
    },
    { ...c, recipientType: 'external', sends: noisy(100), clicks: noisy(20), uniqueClicks: noisy(20) },
  ])
}

describe('reconciliation', () => {
  test('honest noisy reports raise no more flags than their noise allows, over many seeds', () => {
    let dayFlags = 0
    let periodFlags = 0
    let dayChecks = 0
    for (let seed = 1; seed <= 40; seed++) {
      const counts = tandemCounts(seed)
      const result = compareCounts(honestRows(counts, 1000 + seed), privacy, counts)
      assert.equal(result.verdict, 'consistent', `seed ${seed}: ${JSON.stringify(result.flagCounts)}`)
      assert.ok(result.flagCounts.day <= result.allowedFlags.day)
      assert.ok(result.flagCounts.period <= result.allowedFlags.period)
      dayFlags += result.flagCounts.day
      periodFlags += result.flagCounts.period
      dayChecks += result.checks.day
    }
    // About 5% of sends checks and 2.5% of click checks fall outside their 95% intervals.
    assert.ok(dayFlags / dayChecks < 0.05, `day flag rate ${dayFlags / dayChecks}`)
    assert.ok(periodFlags <= 40 * 90 * 0.05, `${periodFlags} period flags`)
  })

  test('a partner under-reporting Tandem sends by 20% is flagged in the affected cells', () => {
    const counts = tandemCounts(7)
    const affected = (c: { interface: string; variant: string }) =>
      c.interface === 'web' && c.variant === 'quick'
    const rows = honestRows(counts, 77, (c, m, v) => (m === 'sends' && affected(c) ? Math.round(v * 0.8) : v))
    const result = compareCounts(rows, privacy, counts)
    assert.equal(result.verdict, 'discrepant')
    const periodUnder = result.flags.filter((f) => f.level === 'period' && f.direction === 'under')
    // Every affected cell is flagged over the period; elsewhere only what noise raises anyway (~2.5%).
    for (const surface of ['browse_row', 'post_play', 'search', 'title_page', 'watch_party_end'])
      assert.ok(
        periodUnder.some((f) => affected(f) && f.surface === surface && f.measure === 'sends'),
        surface,
      )
    assert.ok(periodUnder.filter((f) => !affected(f)).length <= 2)
    const dayUnder = result.flags.filter((f) => f.level === 'day' && f.direction === 'under')
    const dayAffected = dayUnder.filter(affected).length
    assert.ok(dayAffected >= 0.9 * 14 * 5, `${dayAffected} of 70 affected day cells flagged`)
    assert.ok(dayUnder.length - dayAffected <= 0.05 * 14 * 25)
  })

  test('sends clipped away (the manifest’s clipped share) and unconfirmed clicks are not flagged', () => {
    const counts = tandemCounts(3)
    const rows = honestRows(counts, 33, (_, m, v) => (m === 'sends' ? Math.round(v * 0.9) : v))
    assert.equal(compareCounts(rows, privacy, counts).verdict, 'discrepant')
    const clipped = compareCounts(rows, { ...privacy, clippedShare: { sends: 0.1, clicks: 0 } }, counts)
    assert.equal(clipped.verdict, 'consistent')
    const fewClicks = honestRows(counts, 34, (_, m, v) => (m === 'sends' ? v : Math.round(v * 0.5)))
    assert.equal(compareCounts(fewClicks, privacy, counts).verdict, 'consistent')
    const inflated = honestRows(counts, 35, (_, m, v) => (m === 'uniqueClicks' ? Math.round(v * 1.5) : v))
    const result = compareCounts(inflated, privacy, counts)
    assert.equal(result.verdict, 'discrepant')
    assert.ok(result.flags.some((f) => f.measure === 'uniqueClicks' && f.direction === 'over'))
  })

  test('the declared half-width is checked against the declared scale; exact reports must match exactly', () => {
    assert.equal(discreteHalfWidth95(60), 180)
    const counts = tandemCounts(5)
    const inflated = compareCounts(honestRows(counts, 55), { ...privacy, halfWidth95: 900 }, counts)
    assert.equal(inflated.noise.manifestConsistent, false)
    const exact = counts.map((c) => ({ ...c, recipientType: 'tandem' }))
    const none = compareCounts(exact, { mechanism: 'none' }, counts)
    assert.equal(none.verdict, 'consistent')
    assert.equal(none.flags.length, 0)
    const off = compareCounts(
      [{ ...exact[0]!, sends: exact[0]!.sends - 1 }, ...exact.slice(1)],
      { mechanism: 'none' },
      counts,
    )
    assert.equal(off.verdict, 'discrepant')
    assert.equal(binomialQuantile(100, 0.05, 0.999), 13)
  })

  test('sends Tandem counted in a variant the report leaves out are flagged as unreported', () => {
    const counts = tandemCounts(8)
    const extra = counts
      .filter((c) => c.interface === 'web' && c.variant === 'classic')
      .map((c) => ({ ...c, variant: 'hidden' }))
    const result = compareCounts(honestRows(counts, 88), privacy, [...counts, ...extra])
    const unreported = result.flags.filter((f) => f.variant === 'hidden')
    assert.equal(unreported.length, 5)
    assert.ok(unreported.every((f) => f.level === 'period' && f.direction === 'under' && f.reported === 0))
    assert.equal(result.verdict, 'discrepant')
  })
})
