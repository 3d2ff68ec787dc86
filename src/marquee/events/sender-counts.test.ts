import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { sql } from 'kysely'
import { rollupSource } from '../reports/rollup-source.ts'
import { ingestTestDatabase, testConfirmedClick, testSend } from '../testing.ts'
import { truncateEvents } from './derived-tables.ts'
import { listRollups, type MarqueeEvent, recordEvents, type SentEvent } from './events.service.ts'
import { rebuildRollups } from './rollups-rebuild.ts'
import { applyQueuedSenderCounts, SenderCountsWorker } from './sender-counts.ts'

const onPostgres = process.env.TEST_DATABASE_URL
  ? false
  : 'needs PostgreSQL (TEST_DATABASE_URL): concurrent connections'
const DAY = '2026-05-04'
const AT = new Date(`${DAY}T10:00:00Z`)

const database = ingestTestDatabase()

/** `n` sends by `sender` (one cell), each with one confirmed click. */
function shares(sender: string, n: number): MarqueeEvent[] {
  return Array.from({ length: n }, () => {
    const send = testSend(AT, sender)
    return [send, ...testConfirmedClick(send.sendId, AT)]
  }).flat()
}

async function senderTotals() {
  const { rows } = await sql<{ sender_id: string; sends: number; clicks: number; cells: number }>`
    select t.sender_id, t.sends, t.clicks,
      (select sum(s.unique_clicks)::int from sender_daily_sends s where s.day = t.day and s.sender_id = t.sender_id) as cells
    from sender_day_totals t order by t.sender_id`.execute(database().db)
  return rows
}

const queued = async () =>
  (await sql<{ n: number }>`select count(*)::int as n from sender_counts_queue`.execute(database().db))
    .rows[0]?.n

/** A worker that never runs: what ingest queues stays queued, as if the process stopped after commit. */
function stoppedWorker() {
  const worker = new SenderCountsWorker(database().db, (error) => {
    throw error
  })
  void worker.stop()
  return worker
}

test('without a worker, recordEvents applies its per-sender counts before it returns', async () => {
  const sender = randomUUID()
  await recordEvents(database().db, shares(sender, 3))
  assert.equal(await queued(), 0)
  assert.deepEqual(await senderTotals(), [{ sender_id: sender, sends: 3, clicks: 3, cells: 3 }])
})

test('with a worker, the rollups are current at commit and the per-sender counts follow once it has run', async () => {
  const sender = randomUUID()
  const errors: unknown[] = []
  const worker = new SenderCountsWorker(database().db, (error) => errors.push(error))
  await recordEvents(database().db, shares(sender, 2), { senderCounts: worker })
  await recordEvents(database().db, shares(sender, 3), { senderCounts: worker })
  const [row] = await listRollups(database().db, { from: DAY, to: DAY })
  assert.deepEqual([row?.sends, row?.clicks, row?.uniqueClicks], [5, 5, 5])
  await worker.idle()
  assert.deepEqual(errors, [])
  assert.equal(await queued(), 0)
  assert.deepEqual(await senderTotals(), [{ sender_id: sender, sends: 5, clicks: 5, cells: 5 }])
  await worker.stop()
})

test('a report applies what is still queued before it reads per-sender counts, and clips with them', async () => {
  const heavy = randomUUID()
  const light = randomUUID()
  const worker = stoppedWorker()
  // 25 sends in one day by one sender: over the bound of 20 that ingest clips at.
  await recordEvents(database().db, shares(heavy, 12), { senderCounts: worker })
  await recordEvents(database().db, [...shares(heavy, 13), ...shares(light, 2)], { senderCounts: worker })
  assert.equal(await queued(), 2)
  assert.deepEqual(await senderTotals(), [])

  const source = rollupSource(database().db)
  const arms = await source.senderArms(DAY, DAY)
  assert.deepEqual(
    arms.map((a) => [a.senderId, a.sends, a.uniqueClicks]).sort(),
    [
      [heavy, 25, 25],
      [light, 2, 2],
    ].sort(),
  )
  assert.equal(await queued(), 0)
  const clipped = await source.clipped(DAY, DAY, 20, ['classic', 'quick'])
  assert.deepEqual(
    clipped?.filter((c) => c.sends > 0).map((c) => [c.sends, c.clicks, c.uniqueClicks]),
    [[5, 5, 5]],
  )
})

test('a rebuild drops what is queued: it derives the same counts from the events', async () => {
  const sender = randomUUID()
  await recordEvents(database().db, shares(sender, 4), { senderCounts: stoppedWorker() })
  assert.equal(await queued(), 1)
  await rebuildRollups(database().db)
  assert.equal(await queued(), 0)
  assert.equal(await applyQueuedSenderCounts(database().db), 0)
  assert.deepEqual(await senderTotals(), [{ sender_id: sender, sends: 4, clicks: 4, cells: 4 }])
})

test('queued counts are applied exactly once when several connections apply them at the same time', {
  skip: onPostgres,
}, async () => {
  const senders = Array.from({ length: 6 }, () => randomUUID())
  const worker = stoppedWorker()
  for (let round = 0; round < 40; round++) {
    await recordEvents(database().db, shares(senders[round % senders.length] as string, 2), {
      senderCounts: worker,
    })
  }
  assert.equal(await queued(), 40)
  const applied = await Promise.all(Array.from({ length: 4 }, () => applyQueuedSenderCounts(database().db)))
  assert.equal(
    applied.reduce((a, b) => a + b, 0),
    40,
  )
  assert.equal(await queued(), 0)
  const expected = senders.map((sender, i) => {
    const n = 2 * Math.ceil((40 - i) / senders.length)
    return { sender_id: sender, sends: n, clicks: n, cells: n }
  })
  assert.deepEqual(
    await senderTotals(),
    expected.sort((a, b) => (a.sender_id < b.sender_id ? -1 : 1)),
  )
})

test('two batches confirming one send at the same time count one unique click between them', {
  skip: onPostgres,
}, async () => {
  for (let attempt = 0; attempt < 5; attempt++) {
    await truncateEvents(database().db)
    const [send] = shares(randomUUID(), 1) as [SentEvent]
    await recordEvents(database().db, [send])
    // Each batch sees no unique click yet and claims one; the second to commit finds it taken and runs
    // again, skipping it.
    const confirm = () =>
      recordEvents(database().db, [
        { type: 'recommendation.click_confirmed', id: randomUUID(), sendId: send.sendId, at: AT },
      ])
    const results = await Promise.all([confirm(), confirm()])
    assert.deepEqual(
      results.map((r) => r.recorded),
      [1, 1],
    )
    const [row] = await listRollups(database().db, { from: DAY, to: DAY })
    assert.deepEqual([row?.sends, row?.clicks, row?.uniqueClicks], [1, 2, 1])
    assert.deepEqual(
      (await senderTotals()).map((t) => [t.sends, t.clicks, t.cells]),
      [[1, 2, 1]],
    )
  }
})
