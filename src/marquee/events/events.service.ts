import { CompiledQuery, PostgresAdapter, sql } from 'kysely'
import type { Interface, RecipientType, Surface } from '../../lib/measurement-dimensions.ts'
import type { Db } from '../db.ts'
import { PRECOMPUTED_BOUND, reclipSenderDays, type SenderDayKey } from './clipping.ts'

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
  /** Worked out once per send in a batch: its rollup key and the counts its events bump. */
  cell?: string
  counts?: Counts
  senderCounts?: Counts
  senderDay?: Counts
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

/** A PostgreSQL array literal of values that need no quoting (uuids, timestamps, booleans, integers). */
const bare = (values: readonly (string | number | boolean | null)[]): string =>
  `{${values.map((v) => (v === null ? 'NULL' : v === true ? 't' : v === false ? 'f' : v)).join(',')}}`

/** A PostgreSQL array literal of text values, each quoted (so 'null' stays text) and escaped. */
const quoted = (values: readonly (string | null)[]): string =>
  `{${values.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`

/** Thrown inside the transaction when a plain INSERT met an event already recorded. */
class AlreadyRecorded extends Error {}

/** The minimum of node-postgres' connection that a custom query (a "submittable") talks to. */
interface PgConnection {
  query(text: string): void
  sendCopyFromChunk(chunk: Buffer): void
  endCopyFrom(): void
}

/**
 * `COPY … FROM STDIN` run on the connection of a Kysely transaction: node-postgres takes any object with
 * `submit` as a query (as pg-copy-streams does), and Kysely hands the compiled "sql" to `client.query`
 * as is, awaiting what it returns: this object is a thenable that settles when the backend is ready
 * again. `sent` settles once the rows are on the wire (or the statement failed), so the caller can
 * work while the backend stores them.
 */
class CopyIn {
  readonly sent: Promise<void>
  readonly #done: Promise<{ command: string; rowCount: number; rows: never[] }>
  #sent!: () => void
  #resolve!: (value: { command: string; rowCount: number; rows: never[] }) => void
  #reject!: (error: unknown) => void
  #failed = false

  readonly text: string
  readonly data: string
  readonly rowCount: number

  constructor(text: string, data: string, rowCount: number) {
    this.text = text
    this.data = data
    this.rowCount = rowCount
    this.sent = new Promise((resolve) => {
      this.#sent = resolve
    })
    this.#done = new Promise((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    this.#done.catch(() => {})
  }

  submit(connection: PgConnection): void {
    connection.query(this.text)
  }

  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFromChunk(Buffer.from(this.data))
    connection.endCopyFrom()
    this.#sent()
  }

  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}

  handleReadyForQuery(): void {
    if (!this.#failed) this.#resolve({ command: 'COPY', rowCount: this.rowCount, rows: [] })
  }

  handleError(error: unknown): void {
    this.#failed = true
    this.#sent()
    this.#reject(error)
  }

  // biome-ignore lint/suspicious/noThenProperty: Kysely awaits what client.query returns
  then<T>(onFulfilled: (value: unknown) => T, onRejected?: (error: unknown) => T): Promise<T> {
    return this.#done.then(onFulfilled, onRejected)
  }
}

/** Whether `db` runs on node-postgres (COPY works there; PGlite takes the INSERT). */
const onNodePostgres = (db: Db): boolean => db.getExecutor().adapter.constructor === PostgresAdapter

const COPY_SPECIAL = /[\\\t\n\r]/
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }
/** A value as a COPY text field (backslash, tab and line ends escaped). */
const field = (value: string): string =>
  COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c] as string) : value

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
  let recorded: number
  if (db.isTransaction) {
    recorded = await ingest(db, events, receivedAt, true)
  } else {
    // Most batches are new: a plain INSERT costs about half of ON CONFLICT's speculative insertion.
    // A batch holding an event already recorded (a retry) aborts, and runs again skipping what exists.
    try {
      recorded = await db.transaction().execute((trx) => ingest(trx, events, receivedAt, false))
    } catch (error) {
      if (!(error instanceof AlreadyRecorded)) throw error
      recorded = await db.transaction().execute((trx) => ingest(trx, events, receivedAt, true))
    }
  }
  return { received: events.length, recorded, duplicates: events.length - recorded }
}

const COLUMNS = `(id, type, send_id, occurred_at, received_at, sender_id, title_id, interface, surface,
  variant, recipient_type, click_class, rolled_up)`

/** The batch's rows of `events` as COPY text (tab-separated, \\N for null), in COLUMNS' order. */
function copyRows(batch: readonly MarqueeEvent[], sends: Map<string, SendCell>, receivedAt: Date): string {
  const received = receivedAt.toISOString()
  let out = ''
  for (const e of batch) {
    if (e.type === 'recommendation.sent') {
      const id = field(e.sendId)
      out += `${id}\trecommendation.sent\t${id}\t${e.at.toISOString()}\t${received}\t${field(e.senderId)}\t${field(e.titleId)}\t${field(e.interface)}\t${field(e.surface)}\t${field(e.variant)}\t${field(e.recipientType)}\t\\N\tt\n`
    } else {
      const klass = e.type === 'recommendation.clicked' ? field(e.clickClass) : '\\N'
      out += `${field(e.id)}\t${e.type}\t${field(e.sendId)}\t${e.at.toISOString()}\t${received}\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t${klass}\t${sends.has(e.sendId) ? 't' : 'f'}\n`
    }
  }
  return out
}

/** The batch's rows of `events` as one SELECT FROM unnest(…) of array literals, in COLUMNS' order. */
function insertRows(batch: readonly MarqueeEvent[], sends: Map<string, SendCell>, receivedAt: Date) {
  const n = batch.length
  const cols = {
    id: new Array<string>(n),
    type: new Array<string>(n),
    send: new Array<string>(n),
    at: new Array<string>(n),
    sender: new Array<string | null>(n),
    title: new Array<string | null>(n),
    iface: new Array<string | null>(n),
    surface: new Array<string | null>(n),
    variant: new Array<string | null>(n),
    rtype: new Array<string | null>(n),
    klass: new Array<string | null>(n),
    rolled: new Array<boolean>(n),
  }
  for (let i = 0; i < n; i++) {
    const e = batch[i] as MarqueeEvent
    const sent = e.type === 'recommendation.sent' ? e : undefined
    cols.id[i] = eventId(e)
    cols.type[i] = e.type
    cols.send[i] = e.sendId
    cols.at[i] = e.at.toISOString()
    cols.sender[i] = sent ? sent.senderId : null
    cols.title[i] = sent ? sent.titleId : null
    cols.iface[i] = sent ? sent.interface : null
    cols.surface[i] = sent ? sent.surface : null
    cols.variant[i] = sent ? sent.variant : null
    cols.rtype[i] = sent ? sent.recipientType : null
    cols.klass[i] = e.type === 'recommendation.clicked' ? e.clickClass : null
    cols.rolled[i] = sends.has(e.sendId)
  }
  return sql`
    select id, type, send_id, occurred_at, ${receivedAt.toISOString()}::timestamptz, sender_id, title_id,
      interface, surface, variant, recipient_type, click_class, rolled_up
    from unnest(${bare(cols.id)}::uuid[], ${quoted(cols.type)}::text[], ${bare(cols.send)}::uuid[],
      ${bare(cols.at)}::timestamptz[], ${bare(cols.sender)}::uuid[], ${quoted(cols.title)}::text[],
      ${quoted(cols.iface)}::text[], ${quoted(cols.surface)}::text[], ${quoted(cols.variant)}::text[],
      ${quoted(cols.rtype)}::text[], ${quoted(cols.klass)}::text[], ${bare(cols.rolled)}::boolean[])
      as t(id, type, send_id, occurred_at, sender_id, title_id, interface, surface, variant, recipient_type,
        click_class, rolled_up)`
}

async function ingest(
  trx: Db,
  events: readonly MarqueeEvent[],
  receivedAt: Date,
  skipRecorded: boolean,
): Promise<number> {
  // The sends these clicks refer to: from this batch, else already recorded.
  const sends = new Map<string, SendCell>()
  for (const e of events) {
    if (e.type === 'recommendation.sent' && !sends.has(e.sendId)) {
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
  const missing = new Set<string>()
  for (const e of events) if (e.type !== 'recommendation.sent' && !sends.has(e.sendId)) missing.add(e.sendId)

  // One statement: clicks recorded before their send are claimed for rolling up now that it is here
  // (in this batch, or committed by another batch since: a click that raced its send's batch is caught
  // by the next ingest), and the sends of this batch's other clicks are looked up. A send recorded
  // earlier has no such clicks left, so claiming by every send id of the batch is exact.
  const toRollUp: Array<ClickedEvent | ClickConfirmedEvent> = []
  // Event keys already in the batch, by type.
  const seenSends = new Set<string>()
  const seenClicks = new Set<string>()
  const seenConfirmations = new Set<string>()
  const batch: MarqueeEvent[] = []
  {
    // Ingest's statements are short: compiling one (JIT) costs more than running it, and the lookup's
    // estimate (pending clicks, whose statistics trail a growing table) can cross the JIT threshold.
    const noJit = sql`set local jit = off`.execute(trx)
    noJit.catch(() => {}) // awaited below
    const lookup = sql<{
      kind: 'pending' | 'known'
      id: string
      type: EventType
      send_id: string
      occurred_at: Date
      click_class: ClickClass | null
      sender_id: string | null
      interface: string | null
      surface: string | null
      variant: string | null
      recipient_type: string | null
    }>`
      with pending as (
        update events e set rolled_up = true
        where not e.rolled_up and (e.send_id = any(${bare([...sends.keys()])}::uuid[]) or exists (
          select 1 from events s where s.type = 'recommendation.sent' and s.id = e.send_id))
        returning e.id, e.type, e.send_id, e.occurred_at, e.click_class)
      select 'pending' as kind, id, type, send_id, occurred_at, click_class, null::uuid as sender_id,
        null as interface, null as surface, null as variant, null as recipient_type
      from pending
      union all
      select 'known', id, type, id, occurred_at, null, sender_id, interface, surface, variant, recipient_type
      from events where type = 'recommendation.sent'
        and id = any(${bare([...missing])}::uuid[] || array(select send_id from pending))`.execute(trx)
    lookup.catch(() => {}) // awaited below
    // Once the statement is on its way, the batch loses its repeated events while the backend works.
    await new Promise((resolve) => setImmediate(resolve))
    for (const e of events) {
      const seen =
        e.type === 'recommendation.sent'
          ? seenSends
          : e.type === 'recommendation.clicked'
            ? seenClicks
            : seenConfirmations
      const id = e.type === 'recommendation.sent' ? e.sendId : e.id
      if (seen.has(id)) continue
      seen.add(id)
      batch.push(e)
    }
    await noJit
    const { rows } = await lookup
    for (const r of rows) {
      const at = new Date(r.occurred_at)
      if (r.kind === 'known') {
        sends.set(r.id, {
          sentAt: at,
          senderId: r.sender_id,
          interface: r.interface as string,
          surface: r.surface as string,
          variant: r.variant as string,
          recipientType: r.recipient_type as string,
        })
      } else {
        toRollUp.push(
          r.type === 'recommendation.clicked'
            ? { type: r.type, id: r.id, sendId: r.send_id, clickClass: r.click_class ?? 'unknown', at }
            : { type: 'recommendation.click_confirmed', id: r.id, sendId: r.send_id, at },
        )
      }
    }
  }

  let newEvents: MarqueeEvent[]
  /** Settles with null once COPY stored the batch, or with its error. */
  let copied: Promise<unknown> | undefined
  if (!skipRecorded && onNodePostgres(trx)) {
    // The whole batch is new unless proven otherwise: COPY it (PostgreSQL's fastest way in; a key
    // already recorded fails it, and the caller runs the batch again with ON CONFLICT).
    const copy = new CopyIn(
      `copy events ${COLUMNS} from stdin`,
      copyRows(batch, sends, receivedAt),
      batch.length,
    )
    copied = trx.executeQuery(CompiledQuery.raw(copy as unknown as string)).then(
      () => null,
      (error: unknown) => error,
    )
    // The rows are on the wire: the rollups are worked out while the backend stores them.
    await Promise.race([copy.sent, copied])
    newEvents = batch
  } else {
    const rows = insertRows(batch, sends, receivedAt)
    const columns = sql.raw(COLUMNS)
    if (skipRecorded) {
      const result = await sql<{ id: string; type: string }>`
        insert into events ${columns} ${rows} on conflict (id, type) do nothing returning id, type`.execute(
        trx,
      )
      const fresh = new Set(result.rows.map((r) => `${r.type}|${r.id}`))
      newEvents = batch.filter((e) => fresh.has(`${e.type}|${eventId(e)}`))
    } else {
      try {
        await sql`insert into events ${columns} ${rows}`.execute(trx)
      } catch (error) {
        if ((error as { code?: string }).code === PG_UNIQUE_VIOLATION) throw new AlreadyRecorded()
        throw error
      }
      newEvents = batch
    }
  }
  const copyFailed = async (): Promise<void> => {
    const error = await copied
    if (!error) return
    if ((error as { code?: string }).code === PG_UNIQUE_VIOLATION) throw new AlreadyRecorded()
    throw error
  }
  if (newEvents.length === 0) return 0
  for (const e of newEvents) if (e.type !== 'recommendation.sent' && sends.has(e.sendId)) toRollUp.push(e)

  const rollups = new Map<string, Counts>()
  const late = new Map<string, Counts>()
  const senders = new Map<string, Counts>()
  const senderDays = new Map<string, Counts>()
  const bump = (map: Map<string, Counts>, key: string): Counts => {
    let counts = map.get(key)
    if (!counts) {
      counts = zero()
      map.set(key, counts)
    }
    return counts
  }
  const days = new Map<number, string>()
  const dayOf = (at: Date) => {
    const n = Math.floor(at.getTime() / 86_400_000)
    let day = days.get(n)
    if (day === undefined) {
      day = utcDay(at)
      days.set(n, day)
    }
    return day
  }
  const cellOf = (s: SendCell): string =>
    (s.cell ??= `${dayOf(s.sentAt)}|${s.interface}|${s.surface}|${s.variant}|${s.recipientType}`)
  const rollupOf = (s: SendCell): Counts => (s.counts ??= bump(rollups, cellOf(s)))
  const senderOf = (s: SendCell): Counts | undefined => {
    if (!s.senderId) return undefined
    s.senderCounts ??= bump(senders, `${cellOf(s)}|${s.senderId}`)
    return s.senderCounts
  }
  const senderDayOf = (s: SendCell): Counts | undefined => {
    if (!s.senderId) return undefined
    s.senderDay ??= bump(senderDays, `${dayOf(s.sentAt)}|${s.senderId}`)
    return s.senderDay
  }
  const isLate = (s: SendCell, at: Date) => at.getTime() - s.sentAt.getTime() > CLICK_WINDOW_MS

  for (const e of newEvents) {
    if (e.type !== 'recommendation.sent') continue
    const send = sends.get(e.sendId) as SendCell
    rollupOf(send).sends += 1
    ;(senderOf(send) as Counts).sends += 1
    ;(senderDayOf(send) as Counts).sends += 1
  }

  // Everything but the unique clicks is counted while the backend stores the COPY. A send's first
  // confirmation in this batch (in its window, or late) is its unique click in that bucket if no earlier
  // batch claimed the bucket: the counts it would bump are kept until confirmed_sends answers.
  const firstConfirmations = new Map<string, { sendId: string; late: boolean; counts: Counts[] }>()
  for (const e of toRollUp) {
    const send = sends.get(e.sendId) as SendCell
    const lateClick = isLate(send, e.at)
    const counts = lateClick ? bump(late, `${cellOf(send)}|${dayOf(e.at)}`) : rollupOf(send)
    const perSender = lateClick ? undefined : senderOf(send)
    if (e.type === 'recommendation.clicked') {
      counts[e.clickClass] += 1
      continue
    }
    counts.clicks += 1
    if (perSender) {
      perSender.clicks += 1
      ;(senderDayOf(send) as Counts).clicks += 1
    }
    const key = `${e.sendId}|${lateClick}`
    if (!firstConfirmations.has(key)) {
      firstConfirmations.set(key, {
        sendId: e.sendId,
        late: lateClick,
        counts: perSender ? [counts, perSender] : [counts],
      })
    }
  }
  await copyFailed()
  if (firstConfirmations.size > 0) {
    const list = [...firstConfirmations.values()]
    const { rows: claimed } = await sql<{ send_id: string; late: boolean }>`
      insert into confirmed_sends (send_id, late)
      select * from unnest(${bare(list.map((c) => c.sendId))}::uuid[], ${bare(list.map((c) => c.late))}::boolean[])
      on conflict do nothing
      returning send_id, late`.execute(trx)
    for (const r of claimed) {
      const first = firstConfirmations.get(`${r.send_id}|${r.late}`)
      if (first) for (const counts of first.counts) counts.uniqueClicks += 1
    }
  }

  const overBound = await upsertCounts(trx, rollups, late, senders, senderDays)
  // A sender-day over the bound is clipped again now its rows have grown (in this statement's snapshot).
  await reclipSenderDays(trx, overBound)
  return newEvents.length
}

// Keys are sorted so concurrent batches lock rollup rows in the same order (no deadlocks).
const sortedEntries = (map: Map<string, Counts>) =>
  [...map.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, c]) => ({ k: k.split('|'), c }))

type Entries = ReturnType<typeof sortedEntries>
const keyCol = (e: Entries, i: number) => quoted(e.map((x) => x.k[i] as string))
const countCol = (e: Entries, pick: (c: Counts) => number) => bare(e.map((x) => pick(x.c)))

/**
 * The four upserts in one statement (one round trip); each aggregated over the batch. Returns the
 * sender-days it touched that are now over the bound ingest clips at.
 */
async function upsertCounts(
  trx: Db,
  rollups: Map<string, Counts>,
  late: Map<string, Counts>,
  senders: Map<string, Counts>,
  senderDays: Map<string, Counts>,
): Promise<SenderDayKey[]> {
  const r = sortedEntries(rollups)
  const l = sortedEntries(late)
  const s = sortedEntries(senders)
  const t = sortedEntries(senderDays)
  const { rows } = await sql<{ day: string; sender_id: string }>`
    with rollups as (
      insert into share_rollups as r (day, interface, surface, variant, recipient_type, sends, clicks,
        unique_clicks, clicked_human, clicked_preview_fetch, clicked_scanner, clicked_unknown)
      select * from unnest(${keyCol(r, 0)}::date[], ${keyCol(r, 1)}::text[], ${keyCol(r, 2)}::text[],
        ${keyCol(r, 3)}::text[], ${keyCol(r, 4)}::text[], ${countCol(r, (c) => c.sends)}::int[],
        ${countCol(r, (c) => c.clicks)}::int[], ${countCol(r, (c) => c.uniqueClicks)}::int[],
        ${countCol(r, (c) => c.human)}::int[], ${countCol(r, (c) => c.preview_fetch)}::int[],
        ${countCol(r, (c) => c.scanner)}::int[], ${countCol(r, (c) => c.unknown)}::int[])
      on conflict (day, interface, surface, variant, recipient_type) do update set
        sends = r.sends + excluded.sends,
        clicks = r.clicks + excluded.clicks,
        unique_clicks = r.unique_clicks + excluded.unique_clicks,
        clicked_human = r.clicked_human + excluded.clicked_human,
        clicked_preview_fetch = r.clicked_preview_fetch + excluded.clicked_preview_fetch,
        clicked_scanner = r.clicked_scanner + excluded.clicked_scanner,
        clicked_unknown = r.clicked_unknown + excluded.clicked_unknown),
    late as (
      insert into share_rollups_late as r (day, interface, surface, variant, recipient_type, arrived_day,
        clicks, unique_clicks, clicked_human, clicked_preview_fetch, clicked_scanner, clicked_unknown)
      select * from unnest(${keyCol(l, 0)}::date[], ${keyCol(l, 1)}::text[], ${keyCol(l, 2)}::text[],
        ${keyCol(l, 3)}::text[], ${keyCol(l, 4)}::text[], ${keyCol(l, 5)}::date[],
        ${countCol(l, (c) => c.clicks)}::int[], ${countCol(l, (c) => c.uniqueClicks)}::int[],
        ${countCol(l, (c) => c.human)}::int[], ${countCol(l, (c) => c.preview_fetch)}::int[],
        ${countCol(l, (c) => c.scanner)}::int[], ${countCol(l, (c) => c.unknown)}::int[])
      on conflict (day, interface, surface, variant, recipient_type, arrived_day) do update set
        clicks = r.clicks + excluded.clicks,
        unique_clicks = r.unique_clicks + excluded.unique_clicks,
        clicked_human = r.clicked_human + excluded.clicked_human,
        clicked_preview_fetch = r.clicked_preview_fetch + excluded.clicked_preview_fetch,
        clicked_scanner = r.clicked_scanner + excluded.clicked_scanner,
        clicked_unknown = r.clicked_unknown + excluded.clicked_unknown),
    totals as (
      insert into sender_day_totals as r (day, sender_id, sends, clicks)
      select * from unnest(${keyCol(t, 0)}::date[], ${keyCol(t, 1)}::uuid[], ${countCol(t, (c) => c.sends)}::int[],
        ${countCol(t, (c) => c.clicks)}::int[])
      on conflict (day, sender_id) do update set
        sends = r.sends + excluded.sends,
        clicks = r.clicks + excluded.clicks
      returning day, sender_id, greatest(sends, clicks) > ${sql.lit(PRECOMPUTED_BOUND)} as over),
    senders as (
      insert into sender_daily_sends as r (day, interface, surface, variant, recipient_type, sender_id, sends,
        clicks, unique_clicks)
      select * from unnest(${keyCol(s, 0)}::date[], ${keyCol(s, 1)}::text[], ${keyCol(s, 2)}::text[],
        ${keyCol(s, 3)}::text[], ${keyCol(s, 4)}::text[], ${keyCol(s, 5)}::uuid[],
        ${countCol(s, (c) => c.sends)}::int[], ${countCol(s, (c) => c.clicks)}::int[],
        ${countCol(s, (c) => c.uniqueClicks)}::int[])
      on conflict (day, sender_id, interface, surface, variant, recipient_type) do update set
        sends = r.sends + excluded.sends,
        clicks = r.clicks + excluded.clicks,
        unique_clicks = r.unique_clicks + excluded.unique_clicks)
    select day::text as day, sender_id from totals where over order by day, sender_id`.execute(trx)
  return rows.map((r) => ({ day: r.day, senderId: r.sender_id }))
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
