import type { Logger } from 'pino'
import type { Clock } from '../../lib/clock.ts'
import type { Db } from '../db.ts'
import { insertClicks } from './links.repository.ts'
import { countPartnerClicks } from './partner-clicks.ts'

const MAX_BATCH = 5_000
const MAX_BUFFERED = 200_000

/**
 * Buffers shim clicks and writes them in batches: a click is on disk at most `flushMs` after its redirect,
 * and `close()` writes whatever is left (graceful shutdown).
 */
export class ClickRecorder {
  #db: Db
  #clock: Clock
  #log: Logger | undefined
  #flushMs: number
  #buffer: { link_id: string; clicked_at: Date }[] = []
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> | undefined
  #closed = false

  constructor(db: Db, clock: Clock, flushMs: number, log?: Logger) {
    this.#db = db
    this.#clock = clock
    this.#flushMs = flushMs
    this.#log = log
  }

  record(linkId: string): void {
    if (this.#buffer.length >= MAX_BUFFERED) {
      // The database has been unreachable for a long while: shed the oldest rather than exhaust memory.
      this.#buffer.shift()
      this.#log?.warn('click buffer full, dropping the oldest click')
    }
    this.#buffer.push({ link_id: linkId, clicked_at: this.#clock.now() })
    if (!this.#timer && !this.#closed) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        void this.flush()
      }, this.#flushMs)
    }
  }

  get pending(): number {
    return this.#buffer.length
  }

  /** Writes everything buffered; concurrent calls share one write. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing
    if (this.#buffer.length === 0) return
    this.#flushing = this.#write().finally(() => {
      this.#flushing = undefined
    })
    await this.#flushing
  }

  async #write(): Promise<void> {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.slice(0, MAX_BATCH)
      try {
        await this.#db.transaction().execute(async (trx) => {
          await insertClicks(trx, batch)
          await countPartnerClicks(trx, batch)
        })
        this.#buffer.splice(0, batch.length)
      } catch (error) {
        this.#log?.error({ err: error, clicks: batch.length }, 'writing clicks failed; will retry')
        if (!this.#closed && !this.#timer) {
          this.#timer = setTimeout(() => {
            this.#timer = undefined
            void this.flush()
          }, this.#flushMs)
        }
        return
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    await this.flush()
  }
}
