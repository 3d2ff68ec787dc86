import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { periodStartOf } from './delivery.ts'
import { progressBar, progressLine } from './progress.ts'
import { lastCompletePeriod } from './schedule.ts'

describe('the report schedule', () => {
  test('the last complete period is on the 14-day steps from the epoch, reportable from T+2 of its last day', () => {
    const epoch = '2026-01-05'
    // The first period is 01-05 … 01-18; it can be reported from 01-20 00:00 UTC.
    assert.equal(lastCompletePeriod(new Date('2026-01-19T23:59:59Z'), epoch), '2025-12-22')
    assert.equal(lastCompletePeriod(new Date('2026-01-20T00:00:00Z'), epoch), '2026-01-05')
    assert.equal(lastCompletePeriod(new Date('2026-02-02T23:59:59Z'), epoch), '2026-01-05')
    assert.equal(lastCompletePeriod(new Date('2026-02-03T00:00:00Z'), epoch), '2026-01-19')
    assert.equal(lastCompletePeriod(new Date('2026-11-29T12:00:00Z'), epoch), '2026-11-09')
  })

  test('a period is named by its first or last day; anything else is refused', () => {
    assert.equal(periodStartOf({ start: '2026-01-05' }), '2026-01-05')
    assert.equal(periodStartOf({ end: '2026-01-18' }), '2026-01-05')
    for (const bad of ['2026-1-5', '2026-02-30', 'yesterday']) {
      assert.throws(
        () => periodStartOf({ end: bad }),
        (e: { code: string }) => e.code === 'invalid_period',
      )
    }
  })

  test('the progress bar: one line per stage off a terminal, redrawn in place on one', () => {
    assert.equal(progressLine('noising'), `[#####${'.'.repeat(19)}] 1/5 noising`)
    let plain = ''
    const bar = progressBar({ write: (t) => (plain += t) })
    bar.stage('reading')
    bar.stage('delivering')
    bar.finish()
    assert.deepEqual(
      plain
        .trimEnd()
        .split('\n')
        .map((l) => l.replace(/^\[[#.]+\] /, '')),
      ['0/5 reading rollups', '4/5 delivering to Tandem', '5/5 done'],
    )
    let tty = ''
    const onTerminal = progressBar({ write: (t) => (tty += t), isTTY: true })
    onTerminal.stage('signing')
    onTerminal.finish()
    assert.equal(tty.split('\r').length, 3)
    assert.match(tty, /5\/5 done *\n$/)
  })
})
