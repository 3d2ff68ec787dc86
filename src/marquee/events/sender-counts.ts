import { sql } from 'kysely'
import type { Db } from '../db.ts'
import { PRECOMPUTED_BOUND, reclipSenderDays } from './clipping.ts'

/** Queue rows one transaction applies at most: their cells are summed first, so a backlog costs fewer row updates. */
const ROWS_PER_APPLY = 32

/**
 * Adds queued per-sender cell counts (what ingest batches left in sender_counts_queue) to
 * sender_daily_sends and sender_day_totals, and clips again the sender-days now over the bound, in one
 * transaction per group of rows; each row is deleted in the transaction that applies it, so it counts
 * exactly once however many connections apply at the same time (a row another one holds is skipped).
 * Inside a transaction, applies what that transaction can take, once. Returns the rows applied.
 */
export async function applyQueuedSenderCounts(db: Db): Promise<number> {
  if (db.isTransaction) return applyOnce(db)
  let applied = 0
  for (;;) {
    const rows = await db.transaction().execute(applyOnce)
    applied += rows
    // Fewer than a full group: the queue was empty (rows queued since then come with a nudge of their own).
    if (rows < ROWS_PER_APPLY) return applied
  }
}

async function applyOnce(trx: Db): Promise<number> {
  // One statement: take the rows, sum their cells, upsert both tables in key order (so concurrent
  // appliers lock rows in one order) and name the sender-days now over the bound.
  const { rows } = await sql<{ taken: number; days: string[]; senders: string[] }>`
    with taken as (
      delete from sender_counts_queue
      where id in (
        select id from sender_counts_queue order by id limit ${sql.lit(ROWS_PER_APPLY)} for update skip locked)
      returning cell, sender_id, sends, clicks, unique_clicks),
    cells as (
      select split_part(g.cell, '|', 1)::date as day, g.sender_id, split_part(g.cell, '|', 2) as interface,
        split_part(g.cell, '|', 3) as surface, split_part(g.cell, '|', 4) as variant,
        split_part(g.cell, '|', 5) as recipient_type, g.sends, g.clicks, g.unique_clicks
      from (
        select u.cell, u.sender_id, sum(u.sends)::int as sends, sum(u.clicks)::int as clicks,
          sum(u.unique_clicks)::int as unique_clicks
        from taken t, unnest(t.cell, t.sender_id, t.sends, t.clicks, t.unique_clicks)
          as u(cell, sender_id, sends, clicks, unique_clicks)
        group by u.cell, u.sender_id) g),
    senders as (
      insert into sender_daily_sends as r (day, sender_id, interface, surface, variant, recipient_type, sends,
        clicks, unique_clicks)
      select * from cells order by day, sender_id, interface, surface, variant, recipient_type
      on conflict (day, sender_id, interface, surface, variant, recipient_type) do update set
        sends = r.sends + excluded.sends,
        clicks = r.clicks + excluded.clicks,
        unique_clicks = r.unique_clicks + excluded.unique_clicks),
    totals as (
      insert into sender_day_totals as r (day, sender_id, sends, clicks)
      select day, sender_id, sum(sends), sum(clicks) from cells group by day, sender_id order by day, sender_id
      on conflict (day, sender_id) do update set
        sends = r.sends + excluded.sends,
        clicks = r.clicks + excluded.clicks
      returning day, sender_id, greatest(sends, clicks) > ${sql.lit(PRECOMPUTED_BOUND)} as over)
    select (select count(*)::int from taken) as taken,
      array(select day::text from totals where over order by day, sender_id) as days,
      array(select sender_id::text from totals where over order by day, sender_id) as senders`.execute(trx)
  const { taken, days, senders } = rows[0] as { taken: number; days: string[]; senders: string[] }
  const over = days.map((day, i) => ({ day, senderId: senders[i] as string }))
  // A sender-day over the bound is clipped again now its rows have grown (its sender_day_totals row stays
  // locked until commit, so no other applier clips it at the same time).
  await reclipSenderDays(trx, over)
  return taken
}

/**
 * Applies queued per-sender counts on its own connection while ingest goes on: `nudge` after a batch
 * commits starts a run unless one is going (then another follows it), so the tables trail ingest by
 * about one batch. Reports apply what is queued themselves before they read.
 */
export class SenderCountsWorker {
  readonly #db: Db
  readonly #onError: (error: unknown) => void
  #running: Promise<void> | undefined
  #again = false
  #stopped = false

  constructor(db: Db, onError: (error: unknown) => void) {
    this.#db = db
    this.#onError = onError
  }

  nudge(): void {
    if (this.#stopped) return
    if (this.#running) {
      this.#again = true
      return
    }
    this.#running = this.#run().finally(() => {
      this.#running = undefined
    })
  }

  async #run(): Promise<void> {
    do {
      this.#again = false
      try {
        await applyQueuedSenderCounts(this.#db)
      } catch (error) {
        this.#onError(error)
        return
      }
    } while (this.#again && !this.#stopped)
  }

  /** Settles once nothing is running or asked for. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running
  }

  /** No new runs; settles when the current one ends. */
  async stop(): Promise<void> {
    this.#stopped = true
    await this.idle()
  }
}
