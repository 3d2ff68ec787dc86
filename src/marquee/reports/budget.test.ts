import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { compactVerify, generateKeyPair } from 'jose'
import { AppError } from '../../lib/errors.ts'
import { createTestDatabase, type TestDatabase } from '../../lib/testing/test-db.ts'
import type { MarqueeDatabase } from '../db.ts'
import { migrations } from '../migrations/index.ts'
import { checkBudget, remainingBudget, spendBudget } from './budget.ts'
import { insertReportVersion, selectLedger, selectReportVersions } from './reports.repository.ts'
import { releaseReport } from './reports.service.ts'
import { memorySource, syntheticSenderDays } from './synthetic.ts'

let database: TestDatabase<MarqueeDatabase>
before(async () => {
  database = await createTestDatabase<MarqueeDatabase>('marquee', migrations)
})
after(() => database.drop())

const days = (start: number, count: number) =>
  Array.from({ length: count }, (_, i) => new Date(Date.UTC(2026, 0, start + i)).toISOString().slice(0, 10))

/** A release as the report service makes it: the spend and the version in one transaction. */
function release(periodDays: string[], epsilonPerDay: number, failAfterSpend = false) {
  const id = randomUUID()
  return database.db.transaction().execute(async (trx) => {
    const at = new Date()
    await spendBudget(trx, { releaseId: id, days: periodDays, epsilonPerDay }, at)
    if (failAfterSpend) throw new Error('signing failed')
    await insertReportVersion(trx, {
      id,
      periodStart: periodDays[0]!,
      periodEnd: periodDays.at(-1)!,
      status: 'provisional',
      supersedes: null,
      jws: 'x.y.z',
      createdAt: at,
    })
    return id
  })
}

const refusedWith = (reason: string) => (error: unknown) => {
  assert.ok(error instanceof AppError)
  assert.equal(error.status, 409)
  assert.equal(error.code, 'privacy_budget_exceeded')
  assert.equal((error.details as { reason: string }).reason, reason)
  return true
}

describe('the privacy budget ledger', () => {
  test('a 14-day release at ε = 1 a day is recorded day by day', async () => {
    const period = days(1, 14)
    const id = await release(period, 1)
    const ledger = await selectLedger(database.db)
    assert.equal(ledger.length, 14)
    assert.ok(ledger.every((e) => e.release_id === id && e.epsilon === 1))
    assert.deepEqual([...(await remainingBudget(database.db, period)).values()], Array(14).fill(0))
  })

  test('a release that would overspend a day is refused with 409 and records nothing', async () => {
    const before = await selectLedger(database.db)
    // Overlaps the first period on its last day only: that day alone is enough to refuse.
    await assert.rejects(release(days(14, 14), 0.5), refusedWith('day_limit'))
    assert.deepEqual(await selectLedger(database.db), before)
    assert.equal((await selectReportVersions(database.db, days(14, 1)[0]!)).length, 0)
  })

  test('one release may not spend more than 14 in all', async () => {
    await assert.rejects(release(days(40, 15), 1), refusedWith('release_limit'))
    assert.equal((await selectLedger(database.db)).length, 14)
  })

  test('a provisional and a final version may split a day’s budget; a third is refused', async () => {
    const period = days(60, 14)
    await release(period, 0.5)
    await release(period, 0.5)
    await assert.rejects(release(period, 0.1), refusedWith('day_limit'))
    assert.equal((await selectReportVersions(database.db, period[0]!)).length, 2)
  })

  test('a release that fails after spending leaves the budget untouched', async () => {
    const period = days(100, 14)
    await assert.rejects(release(period, 1, true), /signing failed/)
    assert.deepEqual([...(await remainingBudget(database.db, period)).values()], Array(14).fill(1))
  })

  test('sums that reach the limit exactly pass (0.1 + 0.2 + 0.7)', () => {
    const spent = new Map([['2026-03-01', 0.1 + 0.2]])
    assert.equal(checkBudget(spent, { releaseId: 'r', days: ['2026-03-01'], epsilonPerDay: 0.7 }), null)
    assert.throws(() => checkBudget(spent, { releaseId: 'r', days: ['2026-03-01'], epsilonPerDay: 0 }))
  })
})

describe('releasing a report', () => {
  const periodStart = '2026-05-01'
  const now = new Date('2026-05-25T00:00:00Z')
  const source = memorySource(syntheticSenderDays({ periodStart, variants: ['classic', 'quick'] }))

  test('a release spends ε on each of its days and stores the signed version; a second one is refused', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    const key = { privateKey, kid: 'marquee-test' }
    const first = await releaseReport(database.db, source, {
      partner: 'marquee',
      periodStart,
      now,
      noise: { mode: 'laplace' },
      key,
    })
    const { payload } = await compactVerify(first.jws, publicKey)
    assert.equal(JSON.parse(new TextDecoder().decode(payload)).rows.length, 840)
    const before = await selectLedger(database.db)
    assert.equal(before.filter((e) => e.release_id === first.id).length, 14)
    await assert.rejects(
      releaseReport(database.db, source, {
        partner: 'marquee',
        periodStart,
        now,
        noise: { mode: 'laplace' },
        key,
        previousVersionId: first.id,
      }),
      refusedWith('day_limit'),
    )
    assert.deepEqual(await selectLedger(database.db), before)
    const versions = await selectReportVersions(database.db, periodStart)
    assert.deepEqual(
      versions.map((v) => [v.id, v.status, v.supersedes]),
      [[first.id, 'final', null]],
    )
    await assert.rejects(
      releaseReport(database.db, source, {
        partner: 'marquee',
        periodStart,
        now,
        noise: { mode: 'none' },
        key,
      }),
      /only a noised report/,
    )
  })
})
