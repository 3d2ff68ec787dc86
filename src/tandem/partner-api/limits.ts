import type { FastifyRequest, preHandlerHookHandler } from 'fastify'
import type { Clock } from '../../lib/clock.ts'
import { AppError } from '../../lib/errors.ts'

/** Caps and rate limits of the privileged APIs (privacy rule 5, SECURITY.md row 47). */
export interface PartnerApiLimits {
  /** Calls per (client, user, API) per window. */
  rateLimit: { max: number; windowMs: number }
  /** Accepted sends per sender per partner per UTC day. */
  senderDailyCap: number
  /** Partner messages a recipient receives per UTC day, from any partner. */
  recipientDailyCap: number
}

export const defaultPartnerApiLimits: PartnerApiLimits = {
  rateLimit: { max: 60, windowMs: 60_000 },
  senderDailyCap: 50,
  recipientDailyCap: 10,
}

const DAY_MS = 86_400_000

/** The UTC calendar day of an instant, as 'YYYY-MM-DD'. */
export const utcDay = (at: Date) => at.toISOString().slice(0, 10)

/** Whole seconds until the next UTC midnight (at least 1). */
export function secondsToUtcMidnight(at: Date): number {
  const next = Math.floor(at.getTime() / DAY_MS) * DAY_MS + DAY_MS
  return Math.max(1, Math.ceil((next - at.getTime()) / 1000))
}

/**
 * A fixed-window counter per (client, user, API), in this instance's memory; runs after the partner
 * guard, so only authenticated callers are counted. Behind several instances each one counts its own.
 */
export function partnerRateLimit(
  clock: Clock,
  api: string,
  limit: PartnerApiLimits['rateLimit'],
): preHandlerHookHandler {
  const windows = new Map<string, { start: number; count: number }>()
  return async (req: FastifyRequest) => {
    const caller = req.partner
    if (!caller) return
    const now = clock.now().getTime()
    const key = `${caller.clientId}\u0000${caller.sub}\u0000${api}`
    let window = windows.get(key)
    if (!window || now - window.start >= limit.windowMs) {
      if (windows.size > 50_000) windows.clear()
      window = { start: now, count: 0 }
      windows.set(key, window)
    }
    window.count++
    if (window.count > limit.max) {
      const retryAfter = Math.max(1, Math.ceil((window.start + limit.windowMs - now) / 1000))
      throw new AppError(429, 'rate_limited', 'too many calls to this API; try again later', undefined, {
        'retry-after': String(retryAfter),
      })
    }
  }
}

/** A `date` column as 'YYYY-MM-DD', whichever driver read it (PGlite hands back a Date). */
export const asDay = (value: string | Date): string =>
  typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10)
