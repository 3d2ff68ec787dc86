import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AppError } from '../../lib/errors.ts'
import {
  apportion,
  type BuildOptions,
  buildReport,
  buildReportFrom,
  clipSenderDay,
  domainCells,
  MEASURES,
  type ReportRow,
  type SenderDayCell,
  suppress,
} from './builder.ts'
import { seededRandom } from './noise.ts'
import { memorySource, rollUp, syntheticRollups, syntheticSenderDays } from './synthetic.ts'

const periodStart = '2026-01-01'
const variants = ['classic', 'quick']
// 2026-01-14 is the last day: final from 2026-01-19 (T+5), provisional from 2026-01-16 (T+2).
const afterFinal = new Date('2026-01-25T00:00:00Z')
const options = (overrides: Partial<BuildOptions> = {}): BuildOptions => ({
  partner: 'marquee-client',
  periodStart,
  now: afterFinal,
  noise: { mode: 'laplace', rng: seededRandom(1) },
  ...overrides,
})

const keyOf = (r: Omit<ReportRow, 'sends' | 'clicks' | 'uniqueClicks'>) =>
  `${r.day}|${r.interface}|${r.surface}|${r.variant}|${r.recipientType}`

describe('the report builder', () => {
  test('every cell of the closed domain for each day, zeros included, in a fixed order', async () => {
    const { report } = await buildReport(memorySource([]), options())
    assert.equal(report.rows.length, 14 * 3 * 5 * 2 * 2)
    assert.deepEqual(report.dimensions, {
      interface: ['web', 'tv', 'mobile'],
      surface: ['title_page', 'post_play', 'browse_row', 'search', 'watch_party_end'],
      variant: ['classic', 'quick'],
      recipientType: ['tandem', 'external'],
    })
    assert.deepEqual(report.rows.map(keyOf), domainCells(periodStart, variants).map(keyOf))
    assert.equal(new Set(report.rows.map(keyOf)).size, report.rows.length)
    assert.deepEqual(report.period, { start: '2026-01-01', end: '2026-01-14' })
    for (const row of report.rows)
      for (const m of MEASURES) assert.ok(Number.isInteger(row[m]) && row[m]! >= 0, `${keyOf(row)} ${m}`)
  })

  test('acceptance: with noise off the report equals the synthetic truth in every cell', async () => {
    const senderDays = syntheticSenderDays({ periodStart, variants, seed: 3 })
    const truth = new Map(rollUp(senderDays).map((c) => [keyOf(c), c]))
    const { report } = await buildReport(memorySource(senderDays), options({ noise: { mode: 'none' } }))
    assert.equal(report.privacy.mechanism, 'none')
    assert.deepEqual(report.privacy.suppression, { below: 10, cells: 0 })
    assert.deepEqual(report.privacy.clippedShare, { sends: 0, clicks: 0 })
    let zeros = 0
    for (const row of report.rows) {
      const t = truth.get(keyOf(row)) ?? { sends: 0, clicks: 0, uniqueClicks: 0 }
      if (t.sends === 0) zeros += 1
      for (const m of MEASURES) assert.equal(row[m], t[m], `${keyOf(row)} ${m}`)
    }
    assert.equal(zeros, 28, 'the empty cells are reported as zeros')
  })

  test('acceptance: over 200 seeded runs the published 95% intervals cover the truth 93–97% of the time', () => {
    const rollups = syntheticRollups({ periodStart, variants, seed: 5 })
    const truth = new Map(rollups.map((c) => [keyOf(c), c]))
    let covered = 0
    let intervals = 0
    for (let run = 0; run < 200; run++) {
      const { report } = buildReportFrom(
        { rollups, overCap: [] },
        options({ noise: { mode: 'laplace', rng: seededRandom(1000 + run) } }),
      )
      const h = report.privacy.halfWidth95!
      for (const row of report.rows) {
        const t = truth.get(keyOf(row)) ?? { sends: 0, clicks: 0, uniqueClicks: 0 }
        for (const m of MEASURES) {
          intervals += 1
          if (Math.abs(row[m]! - t[m]) <= h) covered += 1
        }
      }
    }
    const coverage = covered / intervals
    assert.ok(coverage >= 0.93 && coverage <= 0.97, `coverage ${coverage}`)
  })

  test('the manifest: mechanism, ε per day and in total, contribution bound, scale, half-width, clipped share', async () => {
    const { report, law } = await buildReport(memorySource([]), options())
    assert.deepEqual(
      { ...report.privacy, halfWidth95Basis: undefined, postProcessing: undefined },
      {
        mechanism: 'discrete_laplace',
        unit: 'sender_day',
        epsilonPerDay: 1,
        epsilonTotal: 14,
        contributionBound: { sendsPerSenderPerDay: 20, clicksPerSenderPerDay: 20 },
        sensitivity: 60,
        noiseScale: 60,
        noiseVariance: law!.variance,
        halfWidth95: 180,
        halfWidth95Basis: undefined,
        clippedShare: { sends: 0, clicks: 0 },
        postProcessing: undefined,
        suppression: null,
      },
    )
    const half = await buildReport(
      memorySource([]),
      options({ noise: { mode: 'laplace', epsilonPerDay: 0.5 } }),
    )
    assert.equal(half.report.privacy.epsilonTotal, 7)
    assert.equal(half.report.privacy.noiseScale, 120)
  })

  test('each sender is clipped to C sends a day, in proportion across cells; the clipped share is reported', async () => {
    const senderDays = syntheticSenderDays({ periodStart, variants, seed: 3, heavySenders: 10 })
    const { report } = await buildReport(memorySource(senderDays), options({ noise: { mode: 'none' } }))
    const truth = new Map(rollUp(senderDays).map((c) => [keyOf(c), c]))
    const cell = (iface: string, recipientType: string) =>
      report.rows.find(
        (r) =>
          r.day === periodStart &&
          r.interface === iface &&
          r.surface === 'title_page' &&
          r.variant === 'classic' &&
          r.recipientType === recipientType,
      )!
    // Each heavy sender sent 45 + 15 = 60: 20 are kept, 15 and 5; clicks 9 + 3 scale to 3 and 1.
    const web = cell('web', 'tandem')
    const webTruth = truth.get(keyOf(web))!
    assert.equal(web.sends, webTruth.sends - 10 * 30)
    assert.equal(web.clicks, webTruth.clicks - 10 * 6)
    const mobile = cell('mobile', 'external')
    assert.equal(mobile.sends, truth.get(keyOf(mobile))!.sends - 10 * 10)
    const allSends = [...truth.values()].reduce((a, c) => a + c.sends, 0)
    assert.equal(report.privacy.clippedShare.sends, 400 / allSends)
    assert.ok(report.privacy.clippedShare.clicks > 0)
  })

  test('clipping keeps integers that sum to C and never more unique clicks than sends kept', () => {
    const row = (sends: number, clicks: number, uniqueClicks: number): SenderDayCell => ({
      day: periodStart,
      interface: 'web',
      surface: 'search',
      variant: 'quick',
      recipientType: 'tandem',
      senderId: 'x',
      sends,
      clicks,
      uniqueClicks,
    })
    const rows = [row(7, 7, 7), row(7, 40, 7), row(7, 0, 0)]
    const removed = clipSenderDay(rows, 20)
    const kept = rows.map((r, i) => ({
      sends: r.sends - removed[i]!.sends,
      clicks: r.clicks - removed[i]!.clicks,
      uniqueClicks: r.uniqueClicks - removed[i]!.uniqueClicks,
    }))
    assert.equal(
      kept.reduce((a, k) => a + k.sends, 0),
      20,
    )
    assert.ok(kept.reduce((a, k) => a + k.clicks, 0) <= 20)
    for (const k of kept) assert.ok(k.uniqueClicks <= k.sends && k.uniqueClicks <= k.clicks && k.sends >= 0)
    assert.deepEqual(apportion([1, 1, 1], 20), [7, 7, 6])
    assert.deepEqual(apportion([0, 0], 5), [0, 0])
  })

  test('no-noise mode: counts under k are suppressed, with complementary suppression in every total', () => {
    // One day's table: a single cell of 3 sends would be the day total minus the others.
    const rollups = syntheticRollups({ periodStart, variants, seed: 9, volume: 2000 }).map((c) =>
      c.day === periodStart && c.interface === 'tv' && c.surface === 'search' && c.variant === 'quick'
        ? { ...c, sends: c.recipientType === 'tandem' ? 3 : c.sends }
        : c,
    )
    const { report } = buildReportFrom({ rollups, overCap: [] }, options({ noise: { mode: 'none' } }))
    const hidden = report.rows.filter((r) => r.sends === null)
    assert.ok(
      hidden.some((r) => r.interface === 'tv' && r.surface === 'search' && r.recipientType === 'tandem'),
    )
    assert.ok(hidden.length >= 2, 'a complementary cell is hidden too')
    // No published total has exactly one hidden cell.
    const groups = new Map<string, number>()
    for (const r of report.rows) {
      for (const k of [
        r.day,
        `${r.day}|${r.interface}`,
        `${r.day}|${r.surface}`,
        `${r.day}|${r.variant}`,
        `${r.day}|${r.recipientType}`,
      ])
        groups.set(k, (groups.get(k) ?? 0) + (r.sends === null ? 1 : 0))
    }
    for (const [k, n] of groups) assert.notEqual(n, 1, k)
    assert.equal(report.privacy.suppression!.cells, hidden.length)
    // The fixed point also holds when a group's only other cells are zeros.
    assert.deepEqual(suppress([4, 0, 0], [[0, 1, 2]], 10), [true, true, false])
  })

  test('status: provisional from T+2 of the last day, final from T+5; before T+2 there is no report', async () => {
    const at = (iso: string) => buildReport(memorySource([]), options({ now: new Date(iso) }))
    assert.equal((await at('2026-01-16T00:00:00Z')).report.status, 'provisional')
    assert.equal((await at('2026-01-18T23:59:59Z')).report.status, 'provisional')
    assert.equal((await at('2026-01-19T00:00:00Z')).report.status, 'final')
    await assert.rejects(at('2026-01-15T23:00:00Z'), (e: unknown) => {
      assert.ok(e instanceof AppError)
      assert.equal(e.code, 'period_not_ready')
      return true
    })
  })

  test('a restatement names the version it supersedes; the default randomness is node:crypto', async () => {
    const { report } = await buildReport(
      memorySource(syntheticSenderDays({ periodStart, variants })),
      options({ noise: { mode: 'laplace' }, supersedes: '7d0a4a4e-8c1e-4a53-9b43-3f3b6f0c1a11' }),
    )
    assert.equal(report.supersedes, '7d0a4a4e-8c1e-4a53-9b43-3f3b6f0c1a11')
    assert.ok(report.rows.every((r) => MEASURES.every((m) => Number.isInteger(r[m]) && r[m]! >= 0)))
  })
})
