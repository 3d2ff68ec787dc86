import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { sql } from 'kysely'
import { createTestDatabase, type TestDatabase } from '../../lib/testing/test-db.ts'
import type { MarqueeDatabase } from '../db.ts'
import { reclipSenderDays } from '../events/clipping.ts'
import { migrations } from '../migrations/index.ts'
import { buildReport, MEASURES } from './builder.ts'
import { rollupSource } from './rollup-source.ts'
import { experimentStats } from './stats.ts'
import { memorySource, rollUp, syntheticSenderDays } from './synthetic.ts'

let database: TestDatabase<MarqueeDatabase>
before(async () => {
  database = await createTestDatabase<MarqueeDatabase>('marquee', migrations)
})
after(() => database.drop())

const periodStart = '2026-02-01'
const variants = ['classic', 'quick']

describe('the rollup tables as the builder’s source', () => {
  test('share_rollups and sender_daily_sends give the same report as the events they sum', async () => {
    // Two days of activity keep the inserts quick; the other twelve are reported as zeros.
    const senderDays = syntheticSenderDays({
      periodStart,
      variants,
      seed: 4,
      volume: 100,
      heavySenders: 3,
    }).filter((r) => r.day <= '2026-02-02')
    const ids = new Map<string, string>()
    const uuid = (s: string) => {
      if (!ids.has(s)) ids.set(s, randomUUID())
      return ids.get(s)!
    }
    const db = database.db
    for (let i = 0; i < senderDays.length; i += 5000) {
      await db
        .insertInto('sender_daily_sends')
        .values(
          senderDays.slice(i, i + 5000).map((r) => ({
            day: r.day,
            sender_id: uuid(r.senderId),
            interface: r.interface,
            surface: r.surface,
            variant: r.variant,
            recipient_type: r.recipientType,
            sends: r.sends,
            clicks: r.clicks,
            unique_clicks: r.uniqueClicks,
          })),
        )
        .execute()
    }
    await db
      .insertInto('share_rollups')
      .values(
        rollUp(senderDays).map((c) => ({
          day: c.day,
          interface: c.interface,
          surface: c.surface,
          variant: c.variant,
          recipient_type: c.recipientType,
          sends: c.sends,
          clicks: c.clicks,
          unique_clicks: c.uniqueClicks,
        })),
      )
      .execute()
    // Ingest keeps the per-sender-day totals with sender_daily_sends; here they are summed from it.
    await sql`
      insert into sender_day_totals (day, sender_id, sends, clicks)
      select day, sender_id, sum(sends), sum(clicks) from sender_daily_sends group by 1, 2`.execute(db)
    // …and the clipping at the default bound, as a full rebuild works it out.
    await reclipSenderDays(db, 'all')
    const source = rollupSource(db)
    const over = await source.sendersOverCap(periodStart, '2026-02-14', 20)
    assert.equal(new Set(over.map((r) => r.senderId)).size, 3)
    // Any bound, below the indexed one or above it, picks exactly the sender-days over it.
    const byDay = new Map<string, { sends: number; clicks: number }>()
    for (const r of senderDays) {
      const key = `${r.day}|${uuid(r.senderId)}`
      const t = byDay.get(key) ?? { sends: 0, clicks: 0 }
      t.sends += r.sends
      t.clicks += r.clicks
      byDay.set(key, t)
    }
    for (const cap of [0, 3, 19, 20, 30]) {
      const expected = new Set([...byDay].filter(([, t]) => t.sends > cap || t.clicks > cap).map(([k]) => k))
      const got = await source.sendersOverCap(periodStart, '2026-02-14', cap)
      assert.deepEqual(new Set(got.map((r) => `${r.day}|${r.senderId}`)), expected, `cap ${cap}`)
      const cells = senderDays.filter((r) => expected.has(`${r.day}|${uuid(r.senderId)}`))
      assert.equal(got.length, cells.length, `cap ${cap}`)
      if (cap <= 3) assert.ok(expected.size > 3, `cap ${cap} takes more sender-days than the bound of 20`)
    }
    const options = { partner: 'p', periodStart, now: new Date('2026-03-01T00:00:00Z'), variants }
    const fromTables = await buildReport(source, { ...options, noise: { mode: 'none' } })
    const inMemory = await buildReport(memorySource(senderDays), { ...options, noise: { mode: 'none' } })
    assert.deepEqual(fromTables.report.rows, inMemory.report.rows)
    assert.deepEqual(fromTables.report.privacy.clippedShare, inMemory.report.privacy.clippedShare)
    // The precomputed clipping was used, and clipping the rows instead gives the same report.
    assert.ok((await source.clipped(periodStart, '2026-02-14', 20, variants))!.length > 0)
    const { clipped: _, ...rowsOnly } = source
    const fromRows = await buildReport(rowsOnly, { ...options, noise: { mode: 'none' } })
    assert.deepEqual(fromRows.report.rows, fromTables.report.rows)
    assert.deepEqual(fromRows.report.privacy.clippedShare, fromTables.report.privacy.clippedShare)
    // Another bound or other variants are not precomputed: the rows are clipped.
    assert.equal(await source.clipped(periodStart, '2026-02-14', 10, variants), undefined)
    assert.equal(await source.clipped(periodStart, '2026-02-14', 20, ['classic']), undefined)
    assert.ok(fromTables.report.privacy.clippedShare.sends > 0)
    for (const row of fromTables.report.rows) for (const m of MEASURES) assert.ok(row[m] !== undefined)

    const arms = await source.senderArms(periodStart, '2026-02-14')
    const stats = experimentStats({
      arms: variants.map((name) => ({ name, weight: 50 })),
      counts: [],
      senders: arms,
    })
    assert.equal(stats.excludedSenders, 0)
    assert.ok(stats.srm.length > 0)
  })
})
