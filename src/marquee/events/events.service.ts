import { sql } from 'kysely'
import type { Interface, RecipientType, Surface } from '../../lib/measurement-dimensions.ts'
import type { Db } from '../db.ts'

export const EVENT_TYPES = [
  'recommendation.sent',
  'recommendation.clicked',
  'recommendation.click_confirmed',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

/** How a GET on a tracked link was classified (MEASUREMENT.md); reports count confirmed clicks only. */
export const CLICK_CLASSES = ['human', 'preview_fetch', 'scanner', 'unknown'] as const
export type ClickClass = (typeof CLICK_CLASSES)[number]

/** A click counts for its send's day when it arrives within this long of the send; later ones are late. */
export const CLICK_WINDOW_MS = 7 * 86_400_000

/** One recipient of a share; its send id is the event's key. */
export interface SentEvent {
  type: 'recommendation.sent'
  sendId: string
  senderId: string
  titleId: string
  interface: Interface
  surface: Surface
  variant: string
  recipientType: RecipientType
  at: Date
}

/** A GET on the tracked link, with the class it was given. */
export interface ClickedEvent {
  type: 'recommendation.clicked'
  id: string
  sendId: string
  clickClass: ClickClass
  at: Date
}

/** The landing page's beacon; its id is the confirmed click's id, so one page view confirms once. */
export interface ClickConfirmedEvent {
  type: 'recommendation.click_confirmed'
  id: string
  sendId: string
  at: Date
}

export type MarqueeEvent = SentEvent | ClickedEvent | ClickConfirmedEvent

export interface IngestResult {
  received: number
  /** Events seen for the first time; the rest were already recorded (a retried batch). */
  recorded: number
  duplicates: number
}

interface SendCell {
  sentAt: Date
  senderId: string | null
  interface: string
  surface: string
  variant: string
  recipientType: string
}

interface Counts {
  sends: number
  clicks: number
  uniqueClicks: number
  human: number
  preview_fetch: number
  scanner: number
  unknown: number
}

const zero = (): Counts => ({
  sends: 0,
  clicks: 0,
  uniqueClicks: 0,
  human: 0,
  preview_fetch: 0,
  scanner: 0,
  unknown: 0,
})

export const utcDay = (at: Date): string => at.toISOString().slice(0, 10)

const PG_UNIQUE_VIOLATION = '23505'

const eventId = (e: MarqueeEvent): string => (e.type === 'recommendation.sent' ? e.sendId : e.id)

/**
 * Records events idempotently ((id, type) is the key: a send's id for `recommendation.sent`) and keeps
 * the daily rollups, the late bucket and the per-sender day counts current in the same transaction.
 * A click whose send has not been recorded yet is kept and rolled up when its send arrives.
 * Runs in the caller's transaction when given one.
 */
export async function recordEvents(
  db: Db,
  events: readonly MarqueeEvent[],
  options: { receivedAt?: Date } = {},
): Promise<IngestResult> {
  if (events.length === 0) return { received: 0, recorded: 0, duplicates: 0 }
  const receivedAt = options.receivedAt ?? new Date()
  const run = (trx: Db) => ingest(trx, events, receivedAt)
  const recorded = db.isTransaction ? await run(db) : await db.transaction().execute(run)
  return { received: events.length, recorded, duplicates: events.length - recorded }
}

async function ingest(trx: Db, events: readonly MarqueeEvent[], receivedAt: Date): Promise<number> {
  const unique = new Map<string, MarqueeEvent>()
  for (const e of events) {
    const key = `${e.type}|${eventId(e)}`
    if (!unique.has(key)) unique.set(key, e)
  }
  const batch = [...unique.values()]

  // The sends these clicks refer to: from this batch, else already recorded.
  const sends = new Map<string, SendCell>()
  for (const e of batch) {
    if (e.type === 'recommendation.sent') {
      sends.set(e.sendId, {
        sentAt: e.at,
        senderId: e.senderId,
        interface: e.interface,
        surface: e.surface,
        variant: e.variant,
        recipientType: e.recipientType,
      })
    }
  }
  const missing = [
    ...new Set(
      batch.filter((e) => e.type !== 'recommendation.sent' && !sends.has(e.sendId)).map((e) => e.sendId),
    ),
  ]
  if (missing.length > 0) {
    const { rows } = await sql<{
      id: string
      occurred_at: Date
      sender_id: string | null
      interface: string
      surface: string
      variant: string
      recipient_type: string
    }>`select id, occurred_at, sender_id, interface, surface, variant, recipient_type from events
       where type = 'recommendation.sent' and id = any(${missing}::uuid[])`.execute(trx)
    for (const r of rows) {
      sends.set(r.id, {
        sentAt: new Date(r.occurred_at),
        senderId: r.sender_id,
        interface: r.interface,
        surface: r.surface,
        variant: r.variant,
        recipientType: r.recipient_type,
      })
    }
  }

  const cols = {
    id: [] as string[],
    type: [] as string[],
    send: [] as string[],
    at: [] as string[],
    sender: [] as (string | null)[],
    title: [] as (string | null)[],
    iface: [] as (string | null)[],
    surface: [] as (string | null)[],
    variant: [] as (string | null)[],
    rtype: [] as (string | null)[],
    klass: [] as (string | null)[],
    rolled: [] as boolean[],
  }
  for (const e of batch) {
    const sent = e.type === 'recommendation.sent' ? e : undefined
    cols.id.push(eventId(e))
    cols.type.push(e.type)
    cols.send.push(e.sendId)
    cols.at.push(e.at.toISOString())
    cols.sender.push(sent?.senderId ?? null)
    cols.title.push(sent?.titleId ?? null)
    cols.iface.push(sent?.interface ?? null)
    cols.surface.push(sent?.surface ?? null)
    cols.variant.push(sent?.variant ?? null)
    cols.rtype.push(sent?.recipientType ?? null)
    cols.klass.push(e.type === 'recommendation.clicked' ? e.clickClass : null)
    cols.rolled.push(sends.has(e.sendId))
  }
  const rows = sql`
    select id, type, send_id, occurred_at, ${receivedAt.toISOString()}::timestamptz, sender_id, title_id,
      interface, surface, variant, recipient_type, click_class, rolled_up
    from unnest(${cols.id}::uuid[], ${cols.type}::text[], ${cols.send}::uuid[], ${cols.at}::timestamptz[],
      ${cols.sender}::uuid[], ${cols.title}::text[], ${cols.iface}::text[], ${cols.surface}::text[],
      ${cols.variant}::text[], ${cols.rtype}::text[], ${cols.klass}::text[], ${cols.rolled}::boolean[])
      as t(id, type, send_id, occurred_at, sender_id, title_id, interface, surface, variant, recipient_type,
        click_class, rolled_up)`
  const columns = sql`(id, type, send_id, occurred_at, received_at, sender_id, title_id, interface, surface,
    variant, recipient_type, click_class, rolled_up)`
  // Most batches are new: a plain INSERT costs about half of ON CONFLICT's speculative insertion. A batch
  // with any event already recorded (a retry) fails on it, and is then inserted skipping what exists.
  let inserted: { id: string; type: string }[]
  await sql`savepoint record_events`.execute(trx)
  try {
    await sql`insert into events ${columns} ${rows}`.execute(trx)
    await sql`release savepoint record_events`.execute(trx)
    inserted = batch.map((e) => ({ id: eventId(e), type: e.type }))
  } catch (error) {
    if ((error as { code?: string }).code !== PG_UNIQUE_VIOLATION) throw error
    await sql`rollback to savepoint record_events`.execute(trx)
    const result = await sql<{ id: string; type: string }>`
      insert into events ${columns} ${rows} on conflict (id, type) do nothing returning id, type`.execute(trx)
    inserted = result.rows
  }
  if (inserted.length === 0) return 0

  const fresh = new Set(inserted.map((r) => `${r.type}|${r.id}`))
  const newEvents = batch.filter((e) => fresh.has(`${e.type}|${eventId(e)}`))
  const toRollUp: Array<ClickedEvent | ClickConfirmedEvent> = []
  const newSendIds: string[] = []
  for (const e of newEvents) {
    if (e.type === 'recommendation.sent') newSendIds.push(e.sendId)
    else if (sends.has(e.sendId)) toRollUp.push(e)
  }

  // Clicks recorded before their send (from another batch) are rolled up now that it is here.
  if (newSendIds.length > 0) {
    const { rows: pending } = await sql<{
      id: string
      type: EventType
      send_id: string
      occurred_at: Date
      click_class: ClickClass | null
    }>`update events set rolled_up = true
       where not rolled_up and send_id = any(${newSendIds}::uuid[])
       returning id, type, send_id, occurred_at, click_class`.execute(trx)
    for (const p of pending) {
      if (fresh.has(`${p.type}|${p.id}`)) continue
      const at = new Date(p.occurred_at)
      toRollUp.push(
        p.type === 'recommendation.clicked'
          ? { type: p.type, id: p.id, sendId: p.send_id, clickClass: p.click_class ?? 'unknown', at }
          : { type: 'recommendation.click_confirmed', id: p.id, sendId: p.send_id, at },
      )
    }
  }

  const rollups = new Map<string, Counts>()
  const late = new Map<string, Counts>()
  const senders = new Map<string, Counts>()
  const bump = (map: Map<string, Counts>, key: string): Counts => {
    let counts = map.get(key)
    if (!counts) {
      counts = zero()
      map.set(key, counts)
    }
    return counts
  }
  const cellOf = (s: SendCell) =>
    `${utcDay(s.sentAt)}|${s.interface}|${s.surface}|${s.variant}|${s.recipientType}`
  const isLate = (s: SendCell, at: Date) => at.getTime() - s.sentAt.getTime() > CLICK_WINDOW_MS

  for (const e of newEvents) {
    if (e.type !== 'recommendation.sent') continue
    const cell = sends.get(e.sendId) as SendCell
    bump(rollups, cellOf(cell)).sends += 1
    bump(senders, `${cellOf(cell)}|${e.senderId}`).sends += 1
  }

  // A send's first confirmation (in its window, or late) is its unique click in that bucket.
  const confirmations = new Map<string, { sendId: string; late: boolean }>()
  for (const e of toRollUp) {
    if (e.type !== 'recommendation.click_confirmed') continue
    const lateClick = isLate(sends.get(e.sendId) as SendCell, e.at)
    confirmations.set(`${e.sendId}|${lateClick}`, { sendId: e.sendId, late: lateClick })
  }
  const firsts = new Set<string>()
  if (confirmations.size > 0) {
    const list = [...confirmations.values()]
    const { rows } = await sql<{ send_id: string; late: boolean }>`
      insert into confirmed_sends (send_id, late)
      select * from unnest(${list.map((c) => c.sendId)}::uuid[], ${list.map((c) => c.late)}::boolean[])
      on conflict do nothing
      returning send_id, late`.execute(trx)
    for (const r of rows) firsts.add(`${r.send_id}|${r.late}`)
  }

  for (const e of toRollUp) {
    const send = sends.get(e.sendId) as SendCell
    const lateClick = isLate(send, e.at)
    const counts = lateClick ? bump(late, `${cellOf(send)}|${utcDay(e.at)}`) : bump(rollups, cellOf(send))
    const perSender =
      lateClick || !send.senderId ? undefined : bump(senders, `${cellOf(send)}|${send.senderId}`)
    if (e.type === 'recommendation.clicked') {
      counts[e.clickClass] += 1
      continue
    }
    counts.clicks += 1
    if (perSender) perSender.clicks += 1
    if (firsts.delete(`${e.sendId}|${lateClick}`)) {
      counts.uniqueClicks += 1
      if (perSender) perSender.uniqueClicks += 1
    }
  }

  await upsertRollups(trx, rollups)
  await upsertLate(trx, late)
  await upsertSenders(trx, senders)
  return inserted.length
}

// Keys are sorted so concurrent batches lock rollup rows in the same order (no deadlocks).
const sortedEntries = (map: Map<string, Counts>) =>
  [...map.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, c]) => ({ k: k.split('|'), c }))

const column = <T>(entries: { k: string[]; c: Counts }[], pick: (e: { k: string[]; c: Counts }) => T) =>
  entries.map(pick)

async function upsertRollups(trx: Db, map: Map<string, Counts>): Promise<void> {
  if (map.size === 0) return
  const e = sortedEntries(map)
  await sql`
    insert into share_rollups as r (day, interface, surface, variant, recipient_type, sends, clicks,
      unique_clicks, clicked_human, clicked_preview_fetch, clicked_scanner, clicked_unknown)
    select * from unnest(${column(e, (x) => x.k[0])}::date[], ${column(e, (x) => x.k[1])}::text[],
      ${column(e, (x) => x.k[2])}::text[], ${column(e, (x) => x.k[3])}::text[], ${column(e, (x) => x.k[4])}::text[],
      ${column(e, (x) => x.c.sends)}::int[], ${column(e, (x) => x.c.clicks)}::int[],
      ${column(e, (x) => x.c.uniqueClicks)}::int[], ${column(e, (x) => x.c.human)}::int[],
      ${column(e, (x) => x.c.preview_fetch)}::int[], ${column(e, (x) => x.c.scanner)}::int[],
      ${column(e, (x) => x.c.unknown)}::int[])
    on conflict (day, interface, surface, variant, recipient_type) do update set
      sends = r.sends + excluded.sends,
      clicks = r.clicks + excluded.clicks,
      unique_clicks = r.unique_clicks + excluded.unique_clicks,
      clicked_human = r.clicked_human + excluded.clicked_human,
      clicked_preview_fetch = r.clicked_preview_fetch + excluded.clicked_preview_fetch,
      clicked_scanner = r.clicked_scanner + excluded.clicked_scanner,
      clicked_unknown = r.clicked_unknown + excluded.clicked_unknown`.execute(trx)
}

async function upsertLate(trx: Db, map: Map<string, Counts>): Promise<void> {
  if (map.size === 0) return
  const e = sortedEntries(map)
  await sql`
    insert into share_rollups_late as r (day, interface, surface, variant, recipient_type, arrived_day, clicks,
      unique_clicks, clicked_human, clicked_preview_fetch, clicked_scanner, clicked_unknown)
    select * from unnest(${column(e, (x) => x.k[0])}::date[], ${column(e, (x) => x.k[1])}::text[],
      ${column(e, (x) => x.k[2])}::text[], ${column(e, (x) => x.k[3])}::text[], ${column(e, (x) => x.k[4])}::text[],
      ${column(e, (x) => x.k[5])}::date[], ${column(e, (x) => x.c.clicks)}::int[],
      ${column(e, (x) => x.c.uniqueClicks)}::int[], ${column(e, (x) => x.c.human)}::int[],
      ${column(e, (x) => x.c.preview_fetch)}::int[], ${column(e, (x) => x.c.scanner)}::int[],
      ${column(e, (x) => x.c.unknown)}::int[])
    on conflict (day, interface, surface, variant, recipient_type, arrived_day) do update set
      clicks = r.clicks + excluded.clicks,
      unique_clicks = r.unique_clicks + excluded.unique_clicks,
      clicked_human = r.clicked_human + excluded.clicked_human,
      clicked_preview_fetch = r.clicked_preview_fetch + excluded.clicked_preview_fetch,
      clicked_scanner = r.clicked_scanner + excluded.clicked_scanner,
      clicked_unknown = r.clicked_unknown + excluded.clicked_unknown`.execute(trx)
}

async function upsertSenders(trx: Db, map: Map<string, Counts>): Promise<void> {
  if (map.size === 0) return
  const e = sortedEntries(map)
  await sql`
    insert into sender_daily_sends as r (day, interface, surface, variant, recipient_type, sender_id, sends,
      clicks, unique_clicks)
    select * from unnest(${column(e, (x) => x.k[0])}::date[], ${column(e, (x) => x.k[1])}::text[],
      ${column(e, (x) => x.k[2])}::text[], ${column(e, (x) => x.k[3])}::text[], ${column(e, (x) => x.k[4])}::text[],
      ${column(e, (x) => x.k[5])}::uuid[], ${column(e, (x) => x.c.sends)}::int[],
      ${column(e, (x) => x.c.clicks)}::int[], ${column(e, (x) => x.c.uniqueClicks)}::int[])
    on conflict (day, sender_id, interface, surface, variant, recipient_type) do update set
      sends = r.sends + excluded.sends,
      clicks = r.clicks + excluded.clicks,
      unique_clicks = r.unique_clicks + excluded.unique_clicks`.execute(trx)
}

export interface RollupRow {
  day: string
  interface: string
  surface: string
  variant: string
  recipientType: string
  sends: number
  clicks: number
  uniqueClicks: number
  clickedByClass: Record<ClickClass, number>
}

/** The daily rollup rows of the days in [from, to] (UTC 'YYYY-MM-DD'), in a stable order. */
export async function listRollups(db: Db, range: { from: string; to: string }): Promise<RollupRow[]> {
  const rows = await db
    .selectFrom('share_rollups')
    .select([
      sql<string>`day::text`.as('day'),
      'interface',
      'surface',
      'variant',
      'recipient_type',
      'sends',
      'clicks',
      'unique_clicks',
      'clicked_human',
      'clicked_preview_fetch',
      'clicked_scanner',
      'clicked_unknown',
    ])
    .where('day', '>=', range.from)
    .where('day', '<=', range.to)
    .orderBy('day')
    .orderBy('interface')
    .orderBy('surface')
    .orderBy('variant')
    .orderBy('recipient_type')
    .execute()
  return rows.map((r) => ({
    day: r.day,
    interface: r.interface,
    surface: r.surface,
    variant: r.variant,
    recipientType: r.recipient_type,
    sends: r.sends,
    clicks: r.clicks,
    uniqueClicks: r.unique_clicks,
    clickedByClass: {
      human: r.clicked_human,
      preview_fetch: r.clicked_preview_fetch,
      scanner: r.clicked_scanner,
      unknown: r.clicked_unknown,
    },
  }))
}
