import type { Logger } from 'pino'
import type { Clock } from '../../lib/clock.ts'
import type { Db } from '../db.ts'
import { type ClickRow, insertClicks } from './links.repository.ts'
import { countPartnerClicks } from './partner-clicks.ts'

/** Links per statement. */
const MAX_BATCH = 5_000
/** Distinct links waiting at once; beyond it (the database unreachable for long) new links are dropped. */
const MAX_PENDING_LINKS = 200_000

interface Pending {
  clicks: number
  /** The first click since the last write, the row's `clicked_at`. */
  first: Date
}

/**
 * Buffers shim clicks and writes them in batches, one row per link per flush carrying how many clicks
 * it saw: a click is on disk at most `flushMs` after its redirect, and `close()` writes whatever is left
 * (graceful shutdown). Recording a click on a link already waiting is a counter increment.
 */
export class ClickRecorder {
  #db: Db
  #clock: Clock
  #log: Logger | undefined
  #flushMs: number
  #pending = new Map<string, Pending>()
  #pendingClicks = 0
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> | undefined
  #closed = false
  #onTimer = () => {
    this.#timer = undefined
    void this.flush()
  }

  constructor(db: Db, clock: Clock, flushMs: number, log?: Logger) {
    this.#db = db
    this.#clock = clock
    this.#flushMs = flushMs
    this.#log = log
  }

  record(linkId: string): void {
    const waiting = this.#pending.get(linkId)
    if (waiting !== undefined) {
      waiting.clicks++
    } else {
      if (this.#pending.size >= MAX_PENDING_LINKS) {
        this.#log?.warn('click buffer full, dropping a click')
        return
      }
      this.#pending.set(linkId, { clicks: 1, first: this.#clock.now() })
    }
    this.#pendingClicks++
    if (this.#timer === undefined && !this.#closed) this.#timer = setTimeout(this.#onTimer, this.#flushMs)
  }

  /** Clicks recorded and not yet written. */
  get pending(): number {
    return this.#pendingClicks
  }

  /** Writes everything buffered; concurrent calls share one write. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing
    if (this.#pending.size === 0) return
    this.#flushing = this.#write().finally(() => {
      this.#flushing = undefined
    })
    await this.#flushing
  }

  async #write(): Promise<void> {
    const taken = this.#pending
    this.#pending = new Map()
    this.#pendingClicks = 0
    const rows: ClickRow[] = []
    for (const [link_id, p] of taken) rows.push({ link_id, clicked_at: p.first, clicks: p.clicks })
    for (let start = 0; start < rows.length; start += MAX_BATCH) {
      const batch = rows.slice(start, start + MAX_BATCH)
      try {
        await this.#db.transaction().execute(async (trx) => {
          await insertClicks(trx, batch)
          await countPartnerClicks(trx, batch)
        })
      } catch (error) {
        this.#log?.error({ err: error, links: rows.length - start }, 'writing clicks failed; will retry')
        this.#putBack(rows.slice(start))
        if (!this.#closed && this.#timer === undefined) this.#timer = setTimeout(this.#onTimer, this.#flushMs)
        return
      }
    }
  }

  /** Unwritten rows go back in front of what was recorded meanwhile. */
  #putBack(rows: ClickRow[]): void {
    for (const row of rows) {
      const waiting = this.#pending.get(row.link_id)
      if (waiting === undefined) this.#pending.set(row.link_id, { clicks: row.clicks, first: row.clicked_at })
      else {
        waiting.clicks += row.clicks
        if (row.clicked_at < waiting.first) waiting.first = row.clicked_at
      }
      this.#pendingClicks += row.clicks
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    await this.flush()
  }
}
