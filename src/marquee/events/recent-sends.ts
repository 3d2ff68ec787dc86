/** What a batch needs to know of a send recorded earlier: its time, sender, cell and unique clicks so far. */
export interface KnownSend {
  /** When it was sent, in milliseconds since the epoch. */
  sentMs: number
  senderId: string | null
  /** `interface|surface|variant|recipient type`. */
  dims: string
  /** The buckets in which its unique click is already counted (CONFIRMED_* bits of events.service.ts). */
  confirmed: number
}

/** How many sends a RecentSends keeps by default: about 40 MB. */
export const RECENT_SENDS_DEFAULT = 200_000

/**
 * The sends that this process's batches recorded or looked up lately, so that a later batch's clicks
 * find their send without a lookup. A recorded event is never changed or deleted, so a send's time,
 * sender and cell stay true; entries are added only once the batch that learned them has committed.
 * Its unique clicks so far can be behind: another process may have confirmed the send since. That is
 * safe either way: a fresh batch's plain INSERT of the unique click then fails and the batch runs
 * again, and a batch that runs again inserts with ON CONFLICT DO NOTHING, counting only what it
 * inserted. The oldest entries are forgotten first once `max` are kept.
 */
export class RecentSends {
  readonly #max: number
  readonly #sends = new Map<string, KnownSend>()
  /** Lookups answered here and lookups left to the database, since this was made. */
  hits = 0
  misses = 0

  constructor(max = RECENT_SENDS_DEFAULT) {
    this.#max = max
  }

  get size(): number {
    return this.#sends.size
  }

  get(sendId: string): KnownSend | undefined {
    const send = this.#sends.get(sendId)
    if (send) this.hits++
    else this.misses++
    return send
  }

  /** Keeps what a committed batch knows of `sendId` (its newest copy: unique clicks only accumulate). */
  remember(sendId: string, send: KnownSend): void {
    const known = this.#sends.get(sendId)
    if (known) {
      known.confirmed |= send.confirmed
      return
    }
    this.#sends.set(sendId, {
      sentMs: send.sentMs,
      senderId: send.senderId,
      dims: send.dims,
      confirmed: send.confirmed,
    })
    if (this.#sends.size > this.#max) {
      // A Map iterates in insertion order: its first key is the oldest.
      const oldest = this.#sends.keys().next().value as string
      this.#sends.delete(oldest)
    }
  }

  /** Forgets everything (the events table was emptied, as a benchmark does between rounds). */
  clear(): void {
    this.#sends.clear()
  }
}
