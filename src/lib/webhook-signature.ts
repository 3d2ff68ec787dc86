import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Webhook signatures (SECURITY.md row 44): `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 *
 * The timestamp is the time of sending (each retry is signed afresh), so a receiver that checks it
 * against its own clock rejects anything replayed more than `toleranceSeconds` later. Within that
 * window a replay still carries a valid signature: receivers must also remember the event ids they
 * have processed for at least the window and drop repeats (see `ReplayCache`), answering 2xx to a
 * repeat. Retries of one event keep its id and may come hours later, so a receiver whose handling is
 * not naturally idempotent should keep processed ids durably, not just for the window.
 */

export const DEFAULT_TOLERANCE_SECONDS = 300

const MAX_HEADER_LENGTH = 4096
const TIMESTAMP_RE = /^\d{1,12}$/
const SIGNATURE_RE = /^[0-9a-f]{64}$/

export type WebhookVerification =
  | { ok: true; timestamp: number }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'stale' }

function hmac(secret: string, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest()
}

/** The signature header value for `body` sent at `timestampSeconds`. */
export function signWebhook(secret: string, body: string | Uint8Array, timestampSeconds: number): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new Error('the timestamp must be whole unix seconds')
  }
  return `t=${timestampSeconds},v1=${hmac(secret, timestampSeconds, body).toString('hex')}`
}

/**
 * Checks a signature header against the raw request body, in constant time per candidate.
 * Accepts several `v1=` values in the header and several secrets, so either side can rotate its
 * secret without a gap. Verify the exact bytes received, before any JSON parsing.
 */
export function verifyWebhook(
  secret: string | readonly string[],
  header: string | null | undefined,
  body: string | Uint8Array,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): WebhookVerification {
  const parsed = parseHeader(header)
  if (!parsed) return { ok: false, reason: 'malformed' }
  const secrets = typeof secret === 'string' ? [secret] : secret
  let matched = false
  for (const s of secrets) {
    if (s.length === 0) continue
    const expected = hmac(s, parsed.timestamp, body)
    for (const candidate of parsed.signatures) {
      // Every pair is compared, so timing does not reveal which one matched.
      if (timingSafeEqual(expected, candidate)) matched = true
    }
  }
  if (!matched) return { ok: false, reason: 'bad_signature' }
  if (Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' }
  return { ok: true, timestamp: parsed.timestamp }
}

function parseHeader(
  header: string | null | undefined,
): { timestamp: number; signatures: Buffer[] } | undefined {
  if (typeof header !== 'string' || header.length === 0 || header.length > MAX_HEADER_LENGTH) return undefined
  let timestamp: number | undefined
  const signatures: Buffer[] = []
  for (const part of header.split(',')) {
    const eq = part.indexOf('=')
    if (eq < 0) return undefined
    const key = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (key === 't') {
      if (timestamp !== undefined || !TIMESTAMP_RE.test(value)) return undefined
      timestamp = Number(value)
    } else if (key === 'v1') {
      if (!SIGNATURE_RE.test(value)) return undefined
      signatures.push(Buffer.from(value, 'hex'))
    }
    // Other schemes (a future v2) are ignored, so senders can add them without breaking receivers.
  }
  if (timestamp === undefined || signatures.length === 0) return undefined
  return { timestamp, signatures }
}

/** What a receiver keeps to drop repeated event ids; a shared store (a table, Redis) when it runs on several instances. */
export interface ReplayCache {
  /** True the first time `eventId` is seen within the window, false for a repeat. */
  remember(eventId: string, timestampSeconds: number, nowSeconds: number): boolean | Promise<boolean>
}

/** A single-process `ReplayCache`: ids are kept for the tolerance window, then forgotten (older events fail as stale). */
export class MemoryReplayCache implements ReplayCache {
  #seen = new Map<string, number>()
  #windowSeconds: number

  constructor(toleranceSeconds = DEFAULT_TOLERANCE_SECONDS) {
    // A timestamp may be up to the tolerance in the future as well as in the past.
    this.#windowSeconds = 2 * toleranceSeconds
  }

  remember(eventId: string, timestampSeconds: number, nowSeconds: number): boolean {
    for (const [id, at] of this.#seen) {
      if (nowSeconds - at <= this.#windowSeconds) break
      this.#seen.delete(id)
    }
    if (this.#seen.has(eventId)) return false
    this.#seen.set(eventId, Math.max(timestampSeconds, nowSeconds))
    return true
  }
}
