import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { SHARE_DIALOG } from '../experiments/experiments.service.ts'
import { buildReportFrom } from './builder.ts'
import { seededRandom } from './noise.ts'
import {
  armCountsFromReport,
  chiSquareSurvival,
  clickThrough,
  experimentStats,
  logGamma,
  type SenderArmDay,
  srmTest,
} from './stats.ts'
import { syntheticRollups } from './synthetic.ts'

const close = (actual: number, expected: number, relative = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `${actual} ≠ ${expected}`)

const arms = SHARE_DIALOG.arms

/** Senders on one day and interface, `classic` of them in classic and the rest in quick. */
function senders(classic: number, quick: number, day = '2026-01-01', iface = 'web'): SenderArmDay[] {
  const rows: SenderArmDay[] = []
  for (let i = 0; i < classic + quick; i++) {
    rows.push({
      senderId: `${day}-${iface}-${i}`,
      day,
      interface: iface,
      variant: i < classic ? 'classic' : 'quick',
      sends: 2,
      uniqueClicks: 1,
    })
  }
  return rows
}

describe('experiment statistics', () => {
  test('the χ² survival function matches the tables, deep into the tail', () => {
    close(chiSquareSurvival(3.841458820694124, 1), 0.05)
    close(chiSquareSurvival(10.827566170662733, 1), 0.001)
    close(chiSquareSurvival(5.991464547107979, 2), 0.05)
    close(chiSquareSurvival(18.307038053275146, 10), 0.05, 1e-8)
    close(chiSquareSurvival(100, 1), 1.5239706048320995e-23, 1e-8)
    for (const x of [0.1, 1, 7, 30, 200]) close(chiSquareSurvival(x, 2), Math.exp(-x / 2))
    assert.equal(chiSquareSurvival(0, 3), 1)
    close(logGamma(5), Math.log(24), 1e-12)
    close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12)
  })

  test('acceptance: a 55/45 split at 10,000 senders is a sample-ratio mismatch; a balanced one is not', () => {
    const skewed = experimentStats({ arms, counts: [], senders: senders(5500, 4500) })
    assert.equal(skewed.srm.length, 1)
    assert.equal(skewed.srm[0]!.chi2, 100)
    assert.ok(skewed.srm[0]!.pValue < 1e-20)
    assert.equal(skewed.srmFlagged, true)
    const balanced = experimentStats({ arms, counts: [], senders: senders(5000, 5000) })
    assert.equal(balanced.srmFlagged, false)
    assert.equal(balanced.srm[0]!.pValue, 1)
  })

  test('SRM per day and interface: random 50/50 assignment raises almost no flags at p < 0.001', () => {
    const rng = seededRandom(11)
    let flags = 0
    for (let trial = 0; trial < 300; trial++) {
      let classic = 0
      for (let i = 0; i < 10_000; i++) if (rng.int(2) === 0) classic += 1
      if (srmTest([classic, 10_000 - classic], [50, 50])!.flagged) flags += 1
    }
    assert.ok(flags <= 3, `${flags} false flags in 300`)
    // One skewed day in an otherwise balanced period is found on its own day and interface.
    const stats = experimentStats({
      arms,
      counts: [],
      senders: [...senders(500, 500, '2026-01-01'), ...senders(700, 300, '2026-01-02', 'tv')],
    })
    assert.deepEqual(
      stats.srm.map((s) => [s.day, s.interface, s.flagged]),
      [
        ['2026-01-01', 'web', false],
        ['2026-01-02', 'tv', true],
      ],
    )
  })

  test('senders seen in more than one variant are excluded from the arms and the SRM test, and counted', () => {
    const rows = senders(100, 100)
    rows.push({ ...rows[0]!, day: '2026-01-02', variant: 'quick' }, { ...rows[1]!, variant: 'quick' })
    const stats = experimentStats({
      arms,
      counts: [
        { variant: 'classic', sends: 1000, uniqueClicks: 300, noiseVarianceSends: 0, noiseVarianceClicks: 0 },
        { variant: 'quick', sends: 1000, uniqueClicks: 350, noiseVarianceSends: 0, noiseVarianceClicks: 0 },
      ],
      senders: rows,
    })
    assert.equal(stats.excludedSenders, 2)
    assert.deepEqual(
      stats.arms.map((a) => [a.variant, a.sends, a.uniqueClicks]),
      [
        ['classic', 996, 298],
        ['quick', 996, 298 + 50],
      ],
    )
    const web = stats.srm.find((s) => s.day === '2026-01-01')!
    assert.deepEqual(web.observed, [98, 100])
  })

  test('click-through: none below 150 sends; the interval adds the noise variance to the sampling one', () => {
    const arm = {
      variant: 'quick',
      sends: 149,
      uniqueClicks: 40,
      noiseVarianceSends: 0,
      noiseVarianceClicks: 0,
    }
    assert.equal(clickThrough(arm), null)
    const exact = clickThrough({ ...arm, sends: 1000, uniqueClicks: 250 })!
    close(exact.estimate, 0.25)
    close(exact.standardError, Math.sqrt((0.25 * 0.75) / 1000))
    const noisy = clickThrough({
      ...arm,
      sends: 1000,
      uniqueClicks: 250,
      noiseVarianceSends: 7200,
      noiseVarianceClicks: 7200,
    })!
    close(noisy.standardError, Math.sqrt((1000 * 0.25 * 0.75 + 7200 + 0.0625 * 7200) / 1e6))
    assert.ok(noisy.high - noisy.low > exact.high - exact.low)
    const stats = experimentStats({
      arms,
      counts: [
        { ...arm, variant: 'classic', sends: 5000, uniqueClicks: 1000 },
        { ...arm, sends: 100, uniqueClicks: 60 },
      ],
      senders: [],
    })
    assert.equal(stats.arms[1]!.clickThrough, null)
    assert.deepEqual(stats.lifts, [], 'no lift when an arm is under 150 sends')
  })

  test('from a noisy report: CTR intervals per variant cover the truth about 95% of the time', () => {
    const periodStart = '2026-01-01'
    const rollups = syntheticRollups({ periodStart, variants: ['classic', 'quick'], volume: 400 })
    const truth = new Map<string, { sends: number; clicks: number }>()
    for (const c of rollups) {
      const t = truth.get(c.variant) ?? { sends: 0, clicks: 0 }
      t.sends += c.sends
      t.clicks += c.uniqueClicks
      truth.set(c.variant, t)
    }
    let covered = 0
    let intervals = 0
    for (let run = 0; run < 200; run++) {
      const built = buildReportFrom(
        { rollups, overCap: [] },
        {
          partner: 'p',
          periodStart,
          now: new Date('2026-02-01T00:00:00Z'),
          noise: { mode: 'laplace', rng: seededRandom(run) },
        },
      )
      const stats = experimentStats({ arms, counts: armCountsFromReport(built), senders: [] })
      for (const arm of stats.arms) {
        const t = truth.get(arm.variant)!
        intervals += 1
        const ctr = arm.clickThrough!
        if (ctr.low <= t.clicks / t.sends && t.clicks / t.sends <= ctr.high) covered += 1
      }
    }
    // The truth here is the realised CTR, so the sampling term makes the interval a little wide.
    assert.ok(covered / intervals >= 0.93, `coverage ${covered / intervals}`)
  })
})
