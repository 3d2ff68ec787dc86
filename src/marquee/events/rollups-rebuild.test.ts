import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { sql } from 'kysely'
import { INTERFACES, RECIPIENT_TYPES, SURFACES } from '../../lib/measurement-dimensions.ts'
import { createTestDatabase, type TestDatabase } from '../../lib/testing/test-db.ts'
import { seededRandom } from '../catalog/catalog.data.ts'
import type { MarqueeDatabase } from '../db.ts'
import { migrations } from '../migrations/index.ts'
import { buildReport } from '../reports/builder.ts'
import { rollupSource } from '../reports/rollup-source.ts'
import { CLICK_CLASSES, CLICK_WINDOW_MS, type MarqueeEvent, recordEvents } from './events.service.ts'
import { rebuildRollups } from './rollups-rebuild.ts'

const DAY = 86_400_000
const START = Date.UTC(2026, 3, 6)

let database: TestDatabase<MarqueeDatabase>
before(async () => {
  database = await createTestDatabase<MarqueeDatabase>('marquee', migrations)
})
after(async () => {
  await database?.drop()
})

/** sender_day_totals against what sender_daily_sends sums to per sender and day. */
async function totalsAgainstSums() {
  const { rows: totals } = await sql<{ day: string; sender_id: string; sends: number; clicks: number }>`
    select day::text as day, sender_id, sends, clicks from sender_day_totals order by day, sender_id`.execute(
    database.db,
  )
  const { rows: sums } = await sql<{ day: string; sender_id: string; sends: number; clicks: number }>`
    select day::text as day, sender_id, sum(sends)::int as sends, sum(clicks)::int as clicks
    from sender_daily_sends group by day, sender_id order by day, sender_id`.execute(database.db)
  return { totals, sums }
}

/** Every derived table, in a stable order, as JSON lines. */
async function snapshot() {
  const out: Record<string, string[]> = {}
  for (const [table, key] of [
    ['share_rollups', 'day, interface, surface, variant, recipient_type'],
    ['share_rollups_late', 'day, interface, surface, variant, recipient_type, arrived_day'],
    ['sender_daily_sends', 'day, sender_id, interface, surface, variant, recipient_type'],
    ['sender_day_totals', 'day, sender_id'],
    ['sender_day_clips', 'day, sender_id, interface, surface, variant, recipient_type'],
    ['confirmed_sends', 'send_id, late'],
  ] as const) {
    const { rows } = await sql.raw(`select * from ${table} order by ${key}`).execute(database.db)
    out[table] = rows.map((r) => JSON.stringify(r))
  }
  // A cell whose clipping came back to nothing keeps a row of zeros at ingest; a rebuild writes none.
  const { rows } = await sql`
    select * from share_rollups_clipped where sends <> 0 or clicks <> 0 or unique_clicks <> 0
    order by day, interface, surface, variant, recipient_type`.execute(database.db)
  out.share_rollups_clipped = rows.map((r) => JSON.stringify(r))
  return out
}

test('a full rebuild from the raw events reproduces what ingest kept, late clicks and early clicks included', async () => {
  const rand = seededRandom(11)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T
  const senders = Array.from({ length: 30 }, () => randomUUID())
  const events: MarqueeEvent[] = []
  for (let i = 0; i < 800; i++) {
    const at = new Date(START + Math.floor(rand() * 10 * DAY))
    const sendId = randomUUID()
    events.push({
      type: 'recommendation.sent',
      sendId,
      senderId: pick(senders),
      titleId: 't1',
      interface: pick(INTERFACES),
      surface: pick(SURFACES),
      variant: rand() < 0.5 ? 'classic' : 'quick',
      recipientType: pick(RECIPIENT_TYPES),
      at,
    })
    for (let g = 0; g < (rand() < 0.6 ? 1 : rand() < 0.5 ? 2 : 0); g++) {
      const late = rand() < 0.1
      const clickAt = new Date(
        at.getTime() + (late ? CLICK_WINDOW_MS + DAY * (1 + g) : Math.floor(rand() * DAY)),
      )
      const id = randomUUID()
      events.push({
        type: 'recommendation.clicked',
        id,
        sendId,
        clickClass: pick(CLICK_CLASSES),
        at: clickAt,
      })
      if (rand() < 0.6) events.push({ type: 'recommendation.click_confirmed', id, sendId, at: clickAt })
    }
  }
  // Two heavy senders, over the clipping bound on some days, their sends spread over cells and batches.
  const heavy = [randomUUID(), randomUUID()]
  for (const [h, senderId] of heavy.entries()) {
    for (let d = 0; d < 3; d++) {
      for (let i = 0; i < 18 + 8 * h + 4 * d; i++) {
        const at = new Date(START + d * DAY + Math.floor(rand() * DAY))
        const sendId = randomUUID()
        events.push({
          type: 'recommendation.sent',
          sendId,
          senderId,
          titleId: 't2',
          interface: pick(INTERFACES),
          surface: pick(SURFACES),
          variant: i % 3 === 0 ? 'quick' : 'classic',
          recipientType: pick(RECIPIENT_TYPES),
          at,
        })
        if (rand() < 0.7) {
          const id = randomUUID()
          events.push({ type: 'recommendation.clicked', id, sendId, clickClass: 'human', at })
          events.push({ type: 'recommendation.click_confirmed', id, sendId, at })
        }
      }
    }
  }
  // Some clicks arrive in a batch before their send's.
  const batches: MarqueeEvent[][] = []
  const shuffled = events
    .map((e) => [rand(), e] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, e]) => e)
  for (let i = 0; i < shuffled.length; i += 200) batches.push(shuffled.slice(i, i + 200))
  for (const batch of batches) await recordEvents(database.db, batch)
  // One click whose send never arrives stays pending either way.
  await recordEvents(database.db, [
    {
      type: 'recommendation.clicked',
      id: randomUUID(),
      sendId: randomUUID(),
      clickClass: 'human',
      at: new Date(START),
    },
  ])

  const incremental = await snapshot()
  assert.ok(incremental.share_rollups_clipped!.length > 0, 'the set has sender-days to clip')
  // What ingest summed per cell is what clipping the rows gives: the same report either way.
  const source = rollupSource(database.db)
  const options = {
    partner: 'p',
    periodStart: '2026-04-06',
    now: new Date('2026-05-30T00:00:00Z'),
    noise: { mode: 'none' } as const,
  }
  const { clipped: _, ...rowsOnly } = source
  const precomputed = await buildReport(source, options)
  const fromRows = await buildReport(rowsOnly, options)
  assert.ok(precomputed.report.privacy.clippedShare.sends > 0)
  assert.deepEqual(precomputed.report.rows, fromRows.report.rows)
  assert.deepEqual(precomputed.report.privacy.clippedShare, fromRows.report.privacy.clippedShare)
  const afterIngest = await totalsAgainstSums()
  assert.ok(afterIngest.totals.length > 50)
  assert.ok(afterIngest.totals.some((t) => t.clicks > 0))
  assert.deepEqual(afterIngest.totals, afterIngest.sums)
  assert.ok(incremental.share_rollups!.length > 50)
  assert.ok(incremental.share_rollups_late!.length > 0, 'the set has late clicks')
  const result = await rebuildRollups(database.db)
  assert.equal(result.rollups, incremental.share_rollups!.length)
  assert.deepEqual(await snapshot(), incremental)
  const afterRebuild = await totalsAgainstSums()
  assert.deepEqual(afterRebuild.totals, afterRebuild.sums)
  // The per-cell rollups alone, by their own statement, agree too.
  await sql`update share_rollups set sends = 0`.execute(database.db)
  await rebuildRollups(database.db, { scope: 'rollups' })
  assert.deepEqual(await snapshot(), incremental)
})
