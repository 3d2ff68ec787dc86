import { CompiledQuery, PostgresAdapter, sql } from 'kysely'
import type { Interface, RecipientType, Surface } from '../../lib/measurement-dimensions.ts'
import type { Db } from '../db.ts'
import type { KnownSend, RecentSends } from './recent-sends.ts'
import { applyQueuedSenderCounts, type SenderCountsWorker } from './sender-counts.ts'

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

interface SendCell extends KnownSend {
  /** Worked out once per send in a batch: its rollup key and the counts its events bump. */
  cell?: string
  counts?: Counts
  senderCounts?: Counts
}

/** One sender's counts in one rollup cell, as queued for sender_daily_sends. */
interface SenderCell {
  cell: string
  senderId: string
  counts: Counts
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
  `{${values.map((v) => (v === null ? 'NULL' : QUOTE_SPECIAL.test(v) ? `"${v.replace(/[\\"]/g, '\\$&')}"` : `"${v}"`)).join(',')}}`
const QUOTE_SPECIAL = /[\\"]/

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

export interface RecordOptions {
  receivedAt?: Date
  /**
   * Adds the batch's per-sender counts to sender_daily_sends and sender_day_totals after the commit, on
   * its own connection; without one they are added before recordEvents returns.
   */
  senderCounts?: SenderCountsWorker
  /**
   * The sends this process recorded or looked up lately: a click whose send is there needs no lookup,
   * and the batch's sends are added once it commits. Not used inside a caller's transaction.
   */
  recentSends?: RecentSends
}

/**
 * Records events idempotently ((id, type) is the key: a send's id for `recommendation.sent`) and keeps
 * the daily rollups, the late bucket and the unique clicks current in the same transaction, which also
 * queues the batch's per-sender cell counts (applied by `applyQueuedSenderCounts`).
 * A click whose send has not been recorded yet is kept and rolled up when its send arrives.
 * Runs in the caller's transaction when given one, and then applies the per-sender counts in it too.
 */
export async function recordEvents(
  db: Db,
  events: readonly MarqueeEvent[],
  options: RecordOptions = {},
): Promise<IngestResult> {
  if (events.length === 0) return { received: 0, recorded: 0, duplicates: 0 }
  const receivedAt = options.receivedAt ?? new Date()
  let recorded: number
  if (db.isTransaction) {
    recorded = (await ingest(db, events, receivedAt, false)).recorded
    await applyQueuedSenderCounts(db)
  } else {
    // Most batches are new: COPY (or a plain INSERT) costs about half of ON CONFLICT's speculative
    // insertion. A batch holding an event already recorded (a retry) aborts, and runs again skipping
    // what exists.
    const recent = options.recentSends
    try {
      const done = await ingest(db, events, receivedAt, true, recent)
      recorded = done.recorded
      // Committed: every send the batch holds or learned is recorded (a batch that runs again may hold
      // repeats of sends recorded with other fields, so only a fresh one teaches).
      if (recent) for (const [sendId, send] of done.sends) recent.remember(sendId, send)
    } catch (error) {
      if (!(error instanceof AlreadyRecorded)) throw error
      recorded = (await ingest(db, events, receivedAt, false, recent)).recorded
    }
    if (options.senderCounts) options.senderCounts.nudge()
    else await applyQueuedSenderCounts(db)
  }
  return { received: events.length, recorded, duplicates: events.length - recorded }
}

const COLUMNS = `(id, type, send_id, occurred_at, received_at, sender_id, title_id, interface, surface,
  variant, recipient_type, click_class, rolled_up)`

/**
 * The batch's rows of `events` as COPY text (tab-separated, \\N for null), in COLUMNS' order; a click is
 * stored as rolled up when `rolled` says so of its send.
 */
function copyRows(
  batch: readonly MarqueeEvent[],
  receivedAt: Date,
  rolled: (sendId: string) => boolean,
): string {
  const received = receivedAt.toISOString()
  const rows = new Array<string>(batch.length)
  // A share's sends have one time: consecutive events often repeat it.
  let lastMs = Number.NaN
  let lastAt = ''
  for (let i = 0; i < batch.length; i++) {
    const e = batch[i] as MarqueeEvent
    const ms = e.at.getTime()
    if (ms !== lastMs) {
      lastMs = ms
      lastAt = e.at.toISOString()
    }
    if (e.type === 'recommendation.sent') {
      const id = field(e.sendId)
      rows[i] =
        `${id}\trecommendation.sent\t${id}\t${lastAt}\t${received}\t${field(e.senderId)}\t${field(e.titleId)}\t${field(e.interface)}\t${field(e.surface)}\t${field(e.variant)}\t${field(e.recipientType)}\t\\N\tt\n`
    } else {
      const klass = e.type === 'recommendation.clicked' ? field(e.clickClass) : '\\N'
      rows[i] =
        `${field(e.id)}\t${e.type}\t${field(e.sendId)}\t${lastAt}\t${received}\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t${klass}\t${rolled(e.sendId) ? 't' : 'f'}\n`
    }
  }
  return rows.join('')
}

/** The batch's rows of `events` as one SELECT FROM unnest(…) of array literals, in COLUMNS' order. */
function insertRows(batch: readonly MarqueeEvent[], receivedAt: Date, rolled: (sendId: string) => boolean) {
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
    cols.rolled[i] = rolled(e.sendId)
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

/** A recorded send as the lookups return it, with its unique clicks so far (a set of CONFIRMED_* bits). */
interface KnownSendRow {
  id: string
  /** When it was sent, in milliseconds since the epoch (a float8: cheaper to read than a timestamp). */
  sent_ms: number
  sender_id: string | null
  /** `interface|surface|variant|recipient type`. */
  dims: string
  confirmed: number
}

/** Bits of KnownSendRow.confirmed. */
const CONFIRMED_IN_WINDOW = 1
const CONFIRMED_LATE = 2

/** KnownSendRow's columns of the send row `e`; its unique clicks so far are read only when `confirmed` says. */
const sendColumns = (e: string, confirmed: boolean) => sql`
  ${sql.ref(`${e}.id`)}, (extract(epoch from ${sql.ref(`${e}.occurred_at`)}) * 1000)::float8 as sent_ms,
  ${sql.ref(`${e}.sender_id`)}, ${sql.ref(`${e}.interface`)} || '|' || ${sql.ref(`${e}.surface`)} || '|' ||
    ${sql.ref(`${e}.variant`)} || '|' || ${sql.ref(`${e}.recipient_type`)} as dims,
  ${
    confirmed
      ? sql`(select coalesce(bit_or(case when c.late then ${sql.lit(CONFIRMED_LATE)}
          else ${sql.lit(CONFIRMED_IN_WINDOW)} end), 0)
        from confirmed_sends c where c.send_id = ${sql.ref(`${e}.id`)})`
      : sql`0`
  } as confirmed`

/**
 * The sends among `ids` that are recorded (primary-key lookups); their unique clicks so far are read
 * only for the sends in `confirming` (those with a confirmation in the batch).
 */
function knownSends(db: Db, ids: Iterable<string>, confirming: ReadonlySet<string>): Promise<KnownSendRow[]> {
  const withConfirmations: string[] = []
  const others: string[] = []
  for (const id of ids) (confirming.has(id) ? withConfirmations : others).push(id)
  if (withConfirmations.length + others.length === 0) return Promise.resolve([])
  // Joined to unnest rather than `id = any(array)`: planning then costs nothing per id (the planner
  // estimates `= any` over a constant array element by element).
  return sql<KnownSendRow>`
    select ${sendColumns('e', true)}
    from unnest(${bare(withConfirmations)}::uuid[]) k(id)
    join events e on e.type = 'recommendation.sent' and e.id = k.id
    union all
    select ${sendColumns('e', false)}
    from unnest(${bare(others)}::uuid[]) k(id)
    join events e on e.type = 'recommendation.sent' and e.id = k.id`
    .execute(db)
    .then((r) => r.rows)
}

/**
 * Claims the clicks recorded before their send for rolling up, now that it is here (in this batch, or
 * committed by another batch since: a click that raced its send's batch is caught by the next ingest),
 * with their send when it is recorded. A send recorded earlier has no such clicks left, so claiming by
 * every send id of the batch is exact.
 */
function claimPending(trx: Db, batchSends: readonly string[]) {
  return sql<{
    id: string
    type: EventType
    send_id: string
    at: Date
    click_class: ClickClass | null
    send: KnownSendRow | string | null
  }>`
    with pending as (
      update events e set rolled_up = true
      where not e.rolled_up and (e.send_id in (select unnest(${bare(batchSends)}::uuid[])) or exists (
        select 1 from events s where s.type = 'recommendation.sent' and s.id = e.send_id))
      returning e.id, e.type, e.send_id, e.occurred_at, e.click_class)
    select p.id, p.type, p.send_id, p.occurred_at as at, p.click_class,
      case when s.id is null then null else (select row_to_json(k) from (select ${sendColumns('s', true)}) k) end as send
    from pending p left join events s on s.type = 'recommendation.sent' and s.id = p.send_id`.execute(trx)
}

/**
 * One batch in one transaction. `fresh`: the batch is taken to hold no event already recorded, so it is
 * stored with COPY on node-postgres (a plain INSERT on PGlite) and its unique clicks with a plain INSERT;
 * a key already there fails the transaction with AlreadyRecorded, and the caller runs it again with
 * `fresh` false, which skips what exists.
 */
async function ingest(
  db: Db,
  events: readonly MarqueeEvent[],
  receivedAt: Date,
  fresh: boolean,
  recent?: RecentSends,
): Promise<{ recorded: number; sends: ReadonlyMap<string, SendCell> }> {
  // One pass: the batch without repeated events, its sends (the first of a repeated one), and the sends
  // its clicks refer to that are not in it.
  const sends = new Map<string, SendCell>()
  const batch: MarqueeEvent[] = []
  const clicks: Array<ClickedEvent | ClickConfirmedEvent> = []
  const seenClicks = new Set<string>()
  const seenConfirmations = new Set<string>()
  for (const e of events) {
    if (e.type === 'recommendation.sent') {
      if (sends.has(e.sendId)) continue
      sends.set(e.sendId, {
        sentMs: e.at.getTime(),
        senderId: e.senderId,
        dims: `${e.interface}|${e.surface}|${e.variant}|${e.recipientType}`,
        confirmed: 0,
      })
    } else {
      const seen = e.type === 'recommendation.clicked' ? seenClicks : seenConfirmations
      if (seen.has(e.id)) continue
      seen.add(e.id)
      clicks.push(e)
    }
    batch.push(e)
  }
  const missing = new Set<string>()
  const confirming = new Set<string>()
  for (const c of clicks) {
    if (!sends.has(c.sendId)) missing.add(c.sendId)
    if (c.type === 'recommendation.click_confirmed') confirming.add(c.sendId)
  }
  const batchSends = [...sends.keys()]
  // The sends a recent batch of this process recorded or looked up need no lookup.
  const unknown: string[] = []
  for (const sendId of missing) {
    const known = recent?.get(sendId)
    if (known) sends.set(sendId, { ...known })
    else unknown.push(sendId)
  }
  const copying = fresh && !db.isTransaction && onNodePostgres(db)
  // When copying, the earlier batches' sends are read on another pooled connection while this batch's
  // transaction stores it: its clicks are stored as rolled up, and the few whose send turns out not to be
  // recorded are marked pending again before the rollups are written.
  const outside = copying ? knownSends(db, unknown, confirming) : undefined
  outside?.catch(() => {}) // awaited in the transaction

  const run = async (trx: Db): Promise<number> => {
    // Ingest's statements are short: compiling one (JIT) costs more than running it, and the claim's
    // estimate (pending clicks, whose statistics trail a growing table) can cross the JIT threshold.
    const noJit = sql`set local jit = off`.execute(trx)
    noJit.catch(() => {}) // awaited below
    const claim = claimPending(trx, batchSends)
    claim.catch(() => {}) // awaited below
    const known = outside ?? knownSends(trx, unknown, confirming)
    known.catch(() => {})

    const learn = (r: KnownSendRow) => {
      sends.set(r.id, { sentMs: r.sent_ms, senderId: r.sender_id, dims: r.dims, confirmed: r.confirmed })
    }
    const claimed: Array<ClickedEvent | ClickConfirmedEvent> = []
    const learnAll = async () => {
      for (const r of await known) learn(r)
      for (const r of (await claim).rows) {
        if (r.send) learn(typeof r.send === 'string' ? (JSON.parse(r.send) as KnownSendRow) : r.send)
        const at = new Date(r.at)
        claimed.push(
          r.type === 'recommendation.clicked'
            ? { type: r.type, id: r.id, sendId: r.send_id, clickClass: r.click_class ?? 'unknown', at }
            : { type: 'recommendation.click_confirmed', id: r.id, sendId: r.send_id, at },
        )
      }
    }

    let newEvents: MarqueeEvent[]
    /** Settles with null once COPY stored the batch, or with its error. */
    let copied: Promise<unknown> | undefined
    await noJit
    if (copying) {
      const copy = new CopyIn(
        `copy events ${COLUMNS} from stdin`,
        copyRows(batch, receivedAt, (sendId) => sends.has(sendId) || missing.has(sendId)),
        batch.length,
      )
      copied = trx.executeQuery(CompiledQuery.raw(copy as unknown as string)).then(
        () => null,
        (error: unknown) => error,
      )
      // The rows are on the wire: the rollups are worked out while the backend stores them.
      await Promise.race([copy.sent, copied])
      await learnAll()
      newEvents = batch
    } else {
      await learnAll()
      const rows = insertRows(batch, receivedAt, (sendId) => sends.has(sendId))
      const columns = sql.raw(COLUMNS)
      if (!fresh) {
        const result = await sql<{ id: string; type: string }>`
          insert into events ${columns} ${rows} on conflict (id, type) do nothing returning id, type`.execute(
          trx,
        )
        const stored = new Set(result.rows.map((r) => `${r.type}|${r.id}`))
        newEvents = batch.filter((e) => stored.has(`${e.type}|${eventId(e)}`))
      } else {
        await failOnRecorded(sql`insert into events ${columns} ${rows}`.execute(trx))
        newEvents = batch
      }
    }
    const copyFailed = async (): Promise<void> => {
      const error = await copied
      if (error) throw recordedOr(error)
    }
    if (newEvents.length === 0) {
      await copyFailed()
      return 0
    }

    const rollups = new Map<string, Counts>()
    const late = new Map<string, Counts>()
    const senders = new Map<string, SenderCell>()
    const entry = <V>(map: Map<string, V>, key: string, make: () => V): V => {
      let value = map.get(key)
      if (value === undefined) {
        value = make()
        map.set(key, value)
      }
      return value
    }
    const bump = (map: Map<string, Counts>, key: string): Counts => entry(map, key, zero)
    const days = new Map<number, string>()
    const dayOf = (ms: number) => {
      const n = Math.floor(ms / 86_400_000)
      let day = days.get(n)
      if (day === undefined) {
        day = utcDay(new Date(ms))
        days.set(n, day)
      }
      return day
    }
    const cellOf = (s: SendCell): string => (s.cell ??= `${dayOf(s.sentMs)}|${s.dims}`)
    const rollupOf = (s: SendCell): Counts => (s.counts ??= bump(rollups, cellOf(s)))
    const senderOf = (s: SendCell): Counts | undefined => {
      const senderId = s.senderId
      if (!senderId) return undefined
      const cell = cellOf(s)
      s.senderCounts ??= entry(senders, `${cell}|${senderId}`, () => ({
        cell,
        senderId,
        counts: zero(),
      })).counts
      return s.senderCounts
    }

    // A send's first confirmation in this batch (in its window, or late) is its unique click in that
    // bucket unless an earlier batch claimed the bucket (confirmed_sends holds the claims).
    const firstConfirmations = new Map<string, { sendId: string; late: boolean; counts: Counts[] }>()
    const rollUpClick = (e: ClickedEvent | ClickConfirmedEvent, send: SendCell) => {
      const atMs = e.at.getTime()
      const lateClick = atMs - send.sentMs > CLICK_WINDOW_MS
      const counts = lateClick ? bump(late, `${cellOf(send)}|${dayOf(atMs)}`) : rollupOf(send)
      if (e.type === 'recommendation.clicked') {
        counts[e.clickClass] += 1
        return
      }
      const perSender = lateClick ? undefined : senderOf(send)
      counts.clicks += 1
      if (perSender) perSender.clicks += 1
      const key = `${e.sendId}|${lateClick}`
      if (
        !firstConfirmations.has(key) &&
        !(send.confirmed & (lateClick ? CONFIRMED_LATE : CONFIRMED_IN_WINDOW))
      ) {
        firstConfirmations.set(key, {
          sendId: e.sendId,
          late: lateClick,
          counts: perSender ? [counts, perSender] : [counts],
        })
      }
    }
    for (const e of claimed) rollUpClick(e, sends.get(e.sendId) as SendCell)
    // Clicks whose send is not recorded after all wait, pending, for it.
    const unmatched: MarqueeEvent[] = []
    for (const e of newEvents) {
      const send = sends.get(e.sendId)
      if (e.type === 'recommendation.sent') {
        const s = send as SendCell
        rollupOf(s).sends += 1
        const perSender = senderOf(s)
        if (perSender) perSender.sends += 1
      } else if (send) rollUpClick(e, send)
      else if (copying) unmatched.push(e)
    }
    await copyFailed()
    if (unmatched.length > 0) {
      await sql`
        update events set rolled_up = false
        where (id, type) in (select * from unnest(${bare(unmatched.map(eventId))}::uuid[],
          ${quoted(unmatched.map((e) => e.type))}::text[]))`.execute(trx)
    }
    const claims = [...firstConfirmations.values()]
    if (fresh) {
      // No earlier batch claimed these buckets when the lookups read them; one that did since fails the
      // INSERT below, and the batch runs again.
      for (const c of claims) {
        for (const counts of c.counts) counts.uniqueClicks += 1
        const send = sends.get(c.sendId) as SendCell
        send.confirmed |= c.late ? CONFIRMED_LATE : CONFIRMED_IN_WINDOW
      }
    } else if (claims.length > 0) {
      const { rows: stored } = await sql<{ send_id: string; late: boolean }>`
        insert into confirmed_sends (send_id, late)
        select * from unnest(${bare(claims.map((c) => c.sendId))}::uuid[], ${bare(claims.map((c) => c.late))}::boolean[])
        on conflict do nothing
        returning send_id, late`.execute(trx)
      for (const r of stored) {
        const first = firstConfirmations.get(`${r.send_id}|${r.late}`)
        if (first) for (const counts of first.counts) counts.uniqueClicks += 1
      }
    }
    await failOnRecorded(writeCounts(trx, rollups, late, senders, fresh ? claims : []))
    return newEvents.length
  }
  const recorded = await (db.isTransaction ? run(db) : db.transaction().execute(run))
  return { recorded, sends }
}

/** A unique violation (an event or a unique click already recorded) as AlreadyRecorded; any other error as is. */
const recordedOr = (error: unknown): unknown =>
  (error as { code?: string }).code === PG_UNIQUE_VIOLATION ? new AlreadyRecorded() : error

/** Awaits a write, turning a unique violation into AlreadyRecorded. */
async function failOnRecorded(write: Promise<unknown>): Promise<void> {
  try {
    await write
  } catch (error) {
    throw recordedOr(error)
  }
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
 * One statement (one round trip): the unique clicks' claims when they are new, the upserts of the
 * rollups and the late bucket, each aggregated over the batch, and the batch's per-sender cell counts
 * queued for `applyQueuedSenderCounts`.
 */
async function writeCounts(
  trx: Db,
  rollups: Map<string, Counts>,
  late: Map<string, Counts>,
  senders: Map<string, SenderCell>,
  claims: readonly { sendId: string; late: boolean }[],
): Promise<void> {
  const r = sortedEntries(rollups)
  const l = sortedEntries(late)
  // The queue's order does not matter: whoever applies it sorts.
  const s = [...senders.values()]
  const claimed =
    claims.length === 0
      ? sql``
      : sql`claimed as (
          insert into confirmed_sends (send_id, late)
          select * from unnest(${bare(claims.map((c) => c.sendId))}::uuid[], ${bare(claims.map((c) => c.late))}::boolean[])),`
  const queued =
    s.length === 0
      ? sql``
      : sql`, queued as (
          insert into sender_counts_queue (cell, sender_id, sends, clicks, unique_clicks)
          values (${quoted(s.map((x) => x.cell))}::text[], ${bare(s.map((x) => x.senderId))}::uuid[],
            ${bare(s.map((x) => x.counts.sends))}::int[], ${bare(s.map((x) => x.counts.clicks))}::int[],
            ${bare(s.map((x) => x.counts.uniqueClicks))}::int[]))`
  await sql`
    with ${claimed} rollups as (
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
        clicked_unknown = r.clicked_unknown + excluded.clicked_unknown)${queued}
    select 1`.execute(trx)
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
