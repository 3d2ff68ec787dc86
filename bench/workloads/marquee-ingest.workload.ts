import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { sql } from 'kysely'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { INTERFACES, RECIPIENT_TYPES, SURFACES } from '../../src/lib/measurement-dimensions.ts'
import { seededRandom } from '../../src/marquee/catalog/catalog.data.ts'
import {
  CLICK_CLASSES,
  CLICK_WINDOW_MS,
  type MarqueeEvent,
  recordEvents,
} from '../../src/marquee/events/events.service.ts'
import { RecentSends } from '../../src/marquee/events/recent-sends.ts'
import { SenderCountsWorker } from '../../src/marquee/events/sender-counts.ts'
import { type CpuUse, cpuMeter, microsPer } from '../lib/cpu.ts'
import { openMarqueeScratch, truncateEvents } from '../lib/marquee.ts'
import { median } from '../lib/stats.ts'
import type { BenchContext, Workload, WorkloadResult } from '../lib/types.ts'

const BATCH = 10000
const DAY = 86_400_000
const START = Date.UTC(2026, 0, 5)

/**
 * Two weeks of sharing: `sends` sends from 2,000 senders over 14 days across the closed domain, in
 * shares of one to four recipients (one sender, one cell, one moment), about 0.8 GETs per send
 * (browsers, preview fetchers, scanners) and 0.35 confirmations, 2% of clicks late; in time order, as
 * a pipeline would deliver them.
 */
export function synthesise(sends: number): MarqueeEvent[] {
  // Seeded: every run ingests the same events.
  const rand = seededRandom(7)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T
  const senders = Array.from({ length: 2000 }, () => randomUUID())
  const events: MarqueeEvent[] = []
  for (let i = 0; i < sends; ) {
    const at = new Date(START + Math.floor((i / sends) * 14 * DAY))
    const share = {
      senderId: pick(senders),
      titleId: `title-${Math.floor(rand() * 240)}`,
      interface: pick(INTERFACES),
      surface: pick(SURFACES),
      variant: rand() < 0.5 ? 'classic' : 'quick',
      recipientType: pick(RECIPIENT_TYPES),
    }
    const recipients = Math.min(sends - i, 1 + Math.floor(rand() * 4))
    for (let r = 0; r < recipients; r++, i++) {
      const sendId = randomUUID()
      events.push({ type: 'recommendation.sent', sendId, ...share, at })
      const gets = rand() < 0.6 ? 1 : rand() < 0.5 ? 2 : 0
      for (let g = 0; g < gets; g++) {
        const late = rand() < 0.02
        const clickAt = new Date(at.getTime() + (late ? CLICK_WINDOW_MS + DAY : Math.floor(rand() * 2 * DAY)))
        const clickClass = rand() < 0.55 ? 'human' : pick(CLICK_CLASSES)
        const id = randomUUID()
        events.push({ type: 'recommendation.clicked', id, sendId, clickClass, at: clickAt })
        if (clickClass === 'human' && rand() < 0.8) {
          events.push({
            type: 'recommendation.click_confirmed',
            id,
            sendId,
            at: new Date(clickAt.getTime() + 900),
          })
        }
      }
    }
  }
  return events.sort((a, b) => a.at.getTime() - b.at.getTime())
}

const received = new Date(START + 20 * DAY).toISOString()

/** The events table's row for an event, as COPY text (tab-separated, \N for null). */
function copyLine(e: MarqueeEvent): string {
  const sent = e.type === 'recommendation.sent' ? e : undefined
  const cells = [
    sent ? sent.sendId : (e as { id: string }).id,
    e.type,
    e.sendId,
    e.at.toISOString(),
    received,
    sent?.senderId,
    sent?.titleId,
    sent?.interface,
    sent?.surface,
    sent?.variant,
    sent?.recipientType,
    e.type === 'recommendation.clicked' ? e.clickClass : undefined,
    't',
  ]
  return `${cells.map((c) => c ?? '\\N').join('\t')}\n`
}

/**
 * Event ingest through recordEvents (idempotent insert, rollups, late bucket and unique clicks kept
 * current in the batch's transaction, per-sender counts applied on a second connection as batches
 * commit, and waited for) against COPY of the same rows into a table shaped like `events`, in the same
 * PostgreSQL, both from this process.
 */
export const marqueeIngest: Workload = {
  name: 'marquee-ingest',
  title: 'Marquee event ingest (recordEvents with rollups) vs raw COPY of the same rows',
  async run(ctx: BenchContext): Promise<WorkloadResult> {
    const { progress } = ctx
    if (ctx.database.kind !== 'postgres')
      throw new Error('this workload compares with COPY: it needs PostgreSQL')
    const rounds = ctx.quick ? 1 : 3
    const sends = ctx.quick ? 15_000 : 60_000

    // Marquee's pool has ten; ingest uses three at most: its transaction, the lookup of earlier sends
    // beside it, and the per-sender counts.
    const { database, url } = await openMarqueeScratch(ctx, 3)
    await sql`create table events_copy (like events including all)`.execute(database.db)

    progress.phase(`synthesising ${sends.toLocaleString('en-US')} sends and their clicks`)
    const events = synthesise(sends)
    const batches: MarqueeEvent[][] = []
    for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH))

    const copyClient = new pg.Client({ connectionString: url })
    await copyClient.connect()
    ctx.defer(() => copyClient.end())

    /** CPU milliseconds per batch of this process and of PostgreSQL. */
    const perBatch = (use: CpuUse) => ({
      node: microsPer(use.self, batches.length) / 1000,
      pg: microsPer(use.postgres, batches.length) / 1000,
    })
    const workerErrors: unknown[] = []
    const ingestCpu: { node: number; pg: number }[] = []
    const lookups = { hits: 0, misses: 0 }
    const copyCpu: { node: number; pg: number }[] = []
    const ingest = async (label: string): Promise<number> => {
      await truncateEvents(database.db)
      const bar = progress.bar(label, batches.length)
      const worker = new SenderCountsWorker(database.db, (error) => workerErrors.push(error))
      // As the server keeps one (POST /events), made anew for the emptied tables.
      const recentSends = new RecentSends()
      const t0 = performance.now()
      const meter = cpuMeter({}, true)
      for (const batch of batches) {
        await recordEvents(database.db, batch, {
          receivedAt: new Date(received),
          senderCounts: worker,
          recentSends,
        })
        bar.tick()
      }
      lookups.hits += recentSends.hits
      lookups.misses += recentSends.misses
      // The run ends when the per-sender counts are applied too.
      await worker.idle()
      const cpu = perBatch(meter.stop())
      const rate = events.length / ((performance.now() - t0) / 1000)
      await worker.stop()
      if (workerErrors.length > 0) throw workerErrors[0]
      ingestCpu.push(cpu)
      bar.done(`${Math.round(rate).toLocaleString('en-US')} events/s`)
      return rate
    }
    // COPY in one stream (rows formatted as they go): the fastest way PostgreSQL takes rows.
    const copy = async (label: string): Promise<number> => {
      await sql`truncate events_copy`.execute(database.db)
      const t0 = performance.now()
      const text = (function* () {
        for (const batch of batches) yield batch.map(copyLine).join('')
      })()
      const meter = cpuMeter({}, true)
      await pipeline(Readable.from(text), copyClient.query(copyFrom('copy events_copy from stdin')))
      copyCpu.push(perBatch(meter.stop()))
      const rate = events.length / ((performance.now() - t0) / 1000)
      progress.phase(`${label}: ${Math.round(rate).toLocaleString('en-US')} rows/s`)
      return rate
    }
    // The same COPY cut into the ingest's batches, one COPY and commit per batch.
    const copyBatched = async (): Promise<number> => {
      await sql`truncate events_copy`.execute(database.db)
      const t0 = performance.now()
      for (const batch of batches) {
        const text = batch.map(copyLine).join('')
        await pipeline(Readable.from([text]), copyClient.query(copyFrom('copy events_copy from stdin')))
      }
      return events.length / ((performance.now() - t0) / 1000)
    }

    await ingest('warm-up ingest')
    await copy('warm-up COPY')
    const ingestRates: number[] = []
    const copyRates: number[] = []
    for (let round = 1; round <= rounds; round++) {
      ingestRates.push(await ingest(`round ${round}/${rounds} recordEvents`))
      copyRates.push(await copy(`round ${round}/${rounds} COPY`))
    }
    const batchedCopy = await copyBatched()

    // The rollups must hold what was ingested: every send once.
    const totals = await sql<{
      sends: number
      events: number
      rollups: number
      senderSends: number
      queued: number
    }>`
      select (select coalesce(sum(sends), 0)::int from share_rollups) as sends,
        (select count(*)::int from events) as events,
        (select count(*)::int from share_rollups) as rollups,
        (select coalesce(sum(sends), 0)::int from sender_day_totals) as "senderSends",
        (select count(*)::int from sender_counts_queue) as queued`.execute(database.db)
    const check = totals.rows[0]
    if (
      check?.sends !== sends ||
      check.events !== events.length ||
      check.senderSends !== sends ||
      check.queued !== 0
    ) {
      throw new Error(`rollups disagree with the input: ${JSON.stringify(check)}`)
    }
    const replayT0 = performance.now()
    let replayed = 0
    for (const batch of batches.slice(0, 10)) replayed += (await recordEvents(database.db, batch)).recorded
    const replayRate = (Math.min(10, batches.length) * BATCH) / ((performance.now() - replayT0) / 1000)
    if (replayed !== 0) throw new Error(`a replay recorded ${replayed} events`)

    const cpuText = (cpu: { node: number; pg: number }[]) =>
      `${Math.round(median(cpu.map((c) => c.node)))} ms in this process and ${Math.round(median(cpu.map((c) => c.pg)))} ms in PostgreSQL`
    const clicks = events.filter((e) => e.type === 'recommendation.clicked').length
    const confirmations = events.filter((e) => e.type === 'recommendation.click_confirmed').length
    return {
      summary:
        `${events.length.toLocaleString('en-US')} events (${sends.toLocaleString('en-US')} sends, ` +
        `${clicks.toLocaleString('en-US')} GETs, ${confirmations.toLocaleString('en-US')} confirmations over 14 days) ` +
        `ingested in batches of ${BATCH} through recordEvents, which keeps the daily rollups, the late bucket and the ` +
        'unique clicks current in each batch’s transaction and has the per-sender counts (for clipping) applied on a ' +
        'second connection as batches commit (the time runs until they are), against COPY of the same rows into a table ' +
        `shaped like events (same columns, same primary key) in the same PostgreSQL. ${rounds} alternating round(s) ` +
        'on emptied tables after a warm-up; medians.',
      baseline: 'COPY of the same rows (one stream)',
      comparisons: [
        {
          metric: 'ingest rate',
          unit: 'rows/s',
          tandem: median(ingestRates),
          baseline: median(copyRates),
          ratio: median(ingestRates.map((r, i) => r / copyRates[i]!)),
          goal: { op: '>=', value: 0.5 },
        },
        {
          metric: 'ingest rate vs COPY per batch',
          unit: 'rows/s',
          tandem: median(ingestRates),
          baseline: batchedCopy,
          against: `COPY in batches of ${BATCH}, one transaction each`,
        },
      ],
      facts: [
        `Per round: recordEvents ${ingestRates.map((r) => Math.round(r).toLocaleString('en-US')).join(', ')} events/s; ` +
          `COPY ${copyRates.map((r) => Math.round(r).toLocaleString('en-US')).join(', ')} rows/s.`,
        `After the last round: ${check.events.toLocaleString('en-US')} events stored, ${check.rollups} rollup rows, ` +
          `their sends summing to exactly the ${sends.toLocaleString('en-US')} sends ingested, as do the per-sender ` +
          'day totals, with nothing left queued.',
        `CPU per batch of ${BATCH.toLocaleString('en-US')} (medians over rounds, warm-up included): recordEvents ` +
          `${cpuText(ingestCpu)}; COPY ${cpuText(copyCpu)}. The machine has two cores: the ratio cannot pass ` +
          'what the two sides’ CPU allows once both are busy.',
        `Sends of clicks not in their batch, looked up in RecentSends: ${lookups.hits.toLocaleString('en-US')} ` +
          `found there, ${lookups.misses.toLocaleString('en-US')} left to PostgreSQL (over every run, warm-up included).`,
        `Replaying the first ${Math.min(10, batches.length)} batches recorded nothing ` +
          `(${Math.round(replayRate).toLocaleString('en-US')} events/s of duplicates).`,
      ],
      notes: [
        'Per batch recordEvents finds the sends of the batch’s clicks that earlier batches of this process ' +
          'recorded in memory (RecentSends, filled after each commit: a recorded send never changes, and its unique ' +
          'clicks so far can only be behind, which fails the unique click’s INSERT and runs the batch again); it ' +
          'reads the others on a second pooled connection (primary-key lookups, with their unique clicks so far for ' +
          'the sends confirmed in the batch), while its transaction makes three statements after a SET that turns JIT compilation off (its ' +
          'statements are too short to repay it): one that claims clicks which arrived before their send, a COPY of ' +
          'the batch into events (a key already recorded fails it, and the batch runs again with INSERT … ON ' +
          'CONFLICT DO NOTHING), and one statement that inserts the new unique clicks into confirmed_sends, upserts ' +
          'the rollups and the late bucket (keys sorted, so concurrent batches lock rows in one order) and queues ' +
          'the batch’s per-sender cell counts as one row of arrays. The rollups are worked out in JavaScript while ' +
          'the backend stores the COPY.',
        'The queued per-sender counts are applied after the commit by a worker on a third connection, one ' +
          'statement per group of queued rows (summed, then upserted into sender_daily_sends and sender_day_totals), ' +
          'with the sender-days now over the bound clipped again; a row is deleted in the transaction that applies ' +
          'it, so it counts once. Reports apply whatever is still queued before they read.',
        `Batches of ${BATCH.toLocaleString('en-US')}: recordEvents takes any size from Marquee's own callers ` +
          `(POST /events takes up to 1,000 a request); both sides store the same rows.`,
      ],
    }
  },
}
