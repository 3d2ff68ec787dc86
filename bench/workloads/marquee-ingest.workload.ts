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
 * Event ingest through recordEvents (idempotent insert, rollups, late bucket and per-sender counts kept
 * current in the batch's transaction) against COPY of the same rows into a table shaped like `events`,
 * in the same PostgreSQL, both from this process over one connection at a time.
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

    const { database, url } = await openMarqueeScratch(ctx)
    await sql`create table events_copy (like events including all)`.execute(database.db)

    progress.phase(`synthesising ${sends.toLocaleString('en-US')} sends and their clicks`)
    const events = synthesise(sends)
    const batches: MarqueeEvent[][] = []
    for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH))

    const copyClient = new pg.Client({ connectionString: url })
    await copyClient.connect()
    ctx.defer(() => copyClient.end())

    const ingest = async (label: string): Promise<number> => {
      await truncateEvents(database.db)
      const bar = progress.bar(label, batches.length)
      const t0 = performance.now()
      for (const batch of batches) {
        await recordEvents(database.db, batch, { receivedAt: new Date(received) })
        bar.tick()
      }
      const rate = events.length / ((performance.now() - t0) / 1000)
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
      await pipeline(Readable.from(text), copyClient.query(copyFrom('copy events_copy from stdin')))
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
    const totals = await sql<{ sends: number; events: number; rollups: number }>`
      select (select coalesce(sum(sends), 0)::int from share_rollups) as sends,
        (select count(*)::int from events) as events,
        (select count(*)::int from share_rollups) as rollups`.execute(database.db)
    const check = totals.rows[0]
    if (check?.sends !== sends || check.events !== events.length) {
      throw new Error(`rollups disagree with the input: ${JSON.stringify(check)}`)
    }
    const replayT0 = performance.now()
    let replayed = 0
    for (const batch of batches.slice(0, 10)) replayed += (await recordEvents(database.db, batch)).recorded
    const replayRate = (Math.min(10, batches.length) * BATCH) / ((performance.now() - replayT0) / 1000)
    if (replayed !== 0) throw new Error(`a replay recorded ${replayed} events`)

    const clicks = events.filter((e) => e.type === 'recommendation.clicked').length
    const confirmations = events.filter((e) => e.type === 'recommendation.click_confirmed').length
    return {
      summary:
        `${events.length.toLocaleString('en-US')} events (${sends.toLocaleString('en-US')} sends, ` +
        `${clicks.toLocaleString('en-US')} GETs, ${confirmations.toLocaleString('en-US')} confirmations over 14 days) ` +
        `ingested in batches of ${BATCH} through recordEvents, which keeps the daily rollups, the late bucket and the ` +
        'per-sender day counts current in each batch’s transaction, against COPY of the same rows into a table ' +
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
          `their sends summing to exactly the ${sends.toLocaleString('en-US')} sends ingested.`,
        `Replaying the first ${Math.min(10, batches.length)} batches recorded nothing ` +
          `(${Math.round(replayRate).toLocaleString('en-US')} events/s of duplicates).`,
      ],
      notes: [
        'Per batch recordEvents makes four statements in one transaction (after a SET that turns JIT compilation ' +
          'off for it: its statements are too short to repay it): one that claims clicks which arrived before their ' +
          'send and looks up the sends that earlier batches recorded (primary-key lookups), a COPY of the batch into ' +
          'events (its key already recorded fails it, and the batch runs again with INSERT … ON CONFLICT DO ' +
          'NOTHING), an INSERT into confirmed_sends for unique clicks, and one statement of aggregated upserts into ' +
          'the rollups, the late bucket, the per-sender cell counts (sender_daily_sends) and the per-sender day ' +
          'totals that reports use to find the senders to clip (sender_day_totals); keys sorted, so concurrent ' +
          'batches lock rows in one order. The rollups are worked out in JavaScript while the backend stores the COPY.',
        `Batches of ${BATCH.toLocaleString('en-US')}: recordEvents takes any size from Marquee's own callers ` +
          `(POST /events takes up to 1,000 a request); both sides store the same rows.`,
      ],
    }
  },
}
