import { randomBytes } from 'node:crypto'
import { type Clock, systemClock } from '../../lib/clock.ts'
import { notify } from '../../lib/db.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { assertPublicHttpUrl, type HostLookup } from '../../lib/net-guard.ts'
import type { SecretBox } from '../../lib/secret-box.ts'
import { signWebhook } from '../../lib/webhook-signature.ts'
import type { TandemContext } from '../context.ts'
import type { Db } from '../db.ts'
import { presentDelivery } from './webhooks.presenter.ts'
import {
  claimDueDeliveries,
  findDelivery,
  findPartnerWebhook,
  insertDelivery,
  requeueFailedDelivery,
  selectDeliveries,
  updateDeliveryOutcome,
  updateWebhookSecret,
  type WebhookDelivery,
} from './webhooks.repository.ts'

/** Dispatchers listen here; a committed enqueue wakes them at once instead of at the next poll. */
export const WEBHOOK_CHANNEL = 'tandem_webhooks'

export type WebhookEventType =
  | 'grant.revoked'
  | 'data.deletion_requested'
  | 'agreement.created'
  | 'agreement.extended'
  | 'agreement.ended'

/** The JSON body a partner receives; `id` is the delivery id and stays the same across retries. */
export interface WebhookEvent {
  id: string
  type: WebhookEventType
  createdAt: string
  data: Record<string, unknown>
}

/** The associated data the partner's webhook secret is sealed under, binding it to that partner. */
export const webhookSecretContext = (clientId: string): string => `webhook:${clientId}`

/** A fresh webhook signing secret: 32 random bytes, base64url, `whsec_` in front. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`

/** The form kept in `partner_apps.webhook_secret_enc`. */
export const sealWebhookSecret = (secrets: SecretBox, clientId: string, secret: string): string =>
  secrets.seal(secret, webhookSecretContext(clientId))

/**
 * Queues an event for a partner inside the caller's transaction, so the event exists only if its
 * effect committed. A partner without a webhook URL gets the row too, already failed with
 * `no_webhook_url`, so the admin console shows what it missed.
 */
export async function enqueueWebhook(
  trx: Db,
  clock: Clock,
  event: { clientId: string; type: WebhookEventType; data: Record<string, unknown> },
): Promise<{ id: string }> {
  const partner = await findPartnerWebhook(trx, event.clientId)
  if (!partner) throw notFound('partner')
  const id = newId()
  const now = clock.now()
  const body: WebhookEvent = { id, type: event.type, createdAt: now.toISOString(), data: event.data }
  const deliverable = Boolean(partner.webhook_url)
  await insertDelivery(trx, {
    id,
    clientId: event.clientId,
    eventType: event.type,
    payload: { ...body },
    status: deliverable ? 'pending' : 'failed',
    lastError: deliverable ? null : 'no_webhook_url',
    now,
  })
  if (deliverable) await notify(trx, WEBHOOK_CHANNEL, id)
  return { id }
}

/**
 * Replaces a partner's webhook secret and returns the new one, to be shown to the partner once.
 * Deliveries from now on are signed with it, retries of older events included.
 */
export async function rotateWebhookSecret(
  db: Db,
  secrets: SecretBox,
  clientId: string,
  clock: Clock = systemClock,
): Promise<string> {
  const secret = newWebhookSecret()
  const updated = await updateWebhookSecret(
    db,
    clientId,
    sealWebhookSecret(secrets, clientId, secret),
    clock.now(),
  )
  if (updated === 0) throw notFound('partner')
  return secret
}

const encodeCursor = (at: Date, id: string) => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url')
function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|')
  const date = new Date(at ?? '')
  if (!id || Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new AppError(400, 'invalid_cursor', 'the cursor is not valid')
  }
  return { at: date, id }
}

/** A partner's deliveries, newest first, a page at a time. */
export async function listDeliveries(
  db: Db,
  clientId: string,
  options: { limit: number; before?: string | undefined },
) {
  if (!(await findPartnerWebhook(db, clientId))) throw notFound('partner')
  const rows = await selectDeliveries(db, clientId, {
    limit: options.limit + 1,
    before: options.before ? decodeCursor(options.before) : undefined,
  })
  const page = rows.slice(0, options.limit)
  const last = page.at(-1)
  return {
    deliveries: page.map(presentDelivery),
    nextCursor: rows.length > options.limit && last ? encodeCursor(last.created_at, last.id) : null,
  }
}

/** Puts a failed delivery back in the queue, due now, with a fresh set of attempts. */
export async function retryDelivery(db: Db, clock: Clock, id: string) {
  return db.transaction().execute(async (trx) => {
    const row = await requeueFailedDelivery(trx, id, clock.now())
    if (!row) {
      if (!(await findDelivery(trx, id))) throw notFound('webhook_delivery')
      throw new AppError(409, 'delivery_not_failed', 'only a failed delivery can be retried')
    }
    await notify(trx, WEBHOOK_CHANNEL, id)
    return presentDelivery(row)
  })
}

/** After the nth failed attempt, wait about this long (plus up to 20% jitter) before the next. */
export const RETRY_DELAYS_MS: readonly number[] = [
  10_000, // 10 s
  30_000, // 30 s
  120_000, // 2 min
  600_000, // 10 min
  3_600_000, // 1 h
  21_600_000, // 6 h
  43_200_000, // 12 h
]
/** Attempts before a delivery is given up as failed (about 20 hours after the first). */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1
const JITTER = 0.2

/** The wait after failed attempt number `attempt` (1-based); jitter spreads retries of many events apart. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length) - 1] ?? RETRY_DELAYS_MS[0]!
  return Math.round(base * (1 + JITTER * random()))
}

export const WEBHOOK_HEADERS = {
  signature: 'tandem-signature',
  eventId: 'tandem-event-id',
  eventType: 'tandem-event-type',
} as const

export interface DispatcherOptions {
  /** How often to look for due deliveries when nothing wakes the dispatcher (ms). */
  pollMs?: number
  /** Deliveries taken per round, sent concurrently. */
  batchSize?: number
  /** Longest wait for a partner's answer (ms). */
  timeoutMs?: number
  /** How long a taken delivery stays invisible to other dispatchers; longer than `timeoutMs`. */
  leaseMs?: number
  /** Source of jitter in [0, 1). */
  random?: () => number
  /** Name resolution for the production address check. */
  lookup?: HostLookup
}

export type WebhookContext = Pick<TandemContext, 'config' | 'database' | 'db' | 'clock' | 'secrets' | 'log'>

type Attempt =
  | { ok: true; status: number }
  | { ok: false; status: number | null; error: string; permanent: boolean }

/**
 * Sends queued webhooks: takes due deliveries (FOR UPDATE SKIP LOCKED, so several Tandem instances
 * never send one twice), POSTs each signed, and records every attempt on its row. A 2xx answer
 * delivers it; anything else is retried on the RETRY_DELAYS_MS schedule until MAX_ATTEMPTS.
 */
export class WebhookDispatcher {
  #ctx: WebhookContext
  #pollMs: number
  #batchSize: number
  #timeoutMs: number
  #leaseMs: number
  #random: () => number
  #lookup: HostLookup | undefined
  #started = false
  #stopped = false
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #again = false
  #unlisten: (() => Promise<void>) | undefined

  constructor(ctx: WebhookContext, options: DispatcherOptions = {}) {
    this.#ctx = ctx
    this.#pollMs = options.pollMs ?? 1000
    this.#batchSize = options.batchSize ?? 20
    this.#timeoutMs = options.timeoutMs ?? 10_000
    this.#leaseMs = Math.max(options.leaseMs ?? 60_000, this.#timeoutMs * 2)
    this.#random = options.random ?? Math.random
    this.#lookup = options.lookup
  }

  /** Polls every `pollMs` and wakes on every committed enqueue or retry. */
  async start(): Promise<void> {
    if (this.#started) return
    this.#started = true
    this.#unlisten = await this.#ctx.database.listen(WEBHOOK_CHANNEL, () => this.kick())
    this.kick()
  }

  /** Stops polling and waits for the deliveries in flight to be recorded. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#unlisten?.()
    this.#unlisten = undefined
    await this.#running
  }

  /** Looks for due deliveries now rather than at the next poll. */
  kick(): void {
    if (!this.#started || this.#stopped) return
    if (this.#running) {
      this.#again = true
      return
    }
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#running = this.#drain().finally(() => {
      this.#running = undefined
      if (this.#stopped) return
      if (this.#again) {
        this.#again = false
        this.kick()
      } else {
        this.#timer = setTimeout(() => {
          this.#timer = undefined
          this.kick()
        }, this.#pollMs)
        this.#timer.unref()
      }
    })
  }

  async #drain(): Promise<void> {
    // Full batches mean a backlog: keep going rather than wait a poll interval between batches.
    for (let round = 0; round < 50 && !this.#stopped; round++) {
      try {
        if ((await this.runOnce()) < this.#batchSize) return
      } catch (error) {
        this.#ctx.log?.error({ err: error }, 'webhook dispatch failed')
        return
      }
    }
  }

  /** One round: takes up to `batchSize` due deliveries, attempts each, records the outcomes; returns how many. */
  async runOnce(): Promise<number> {
    const now = this.#ctx.clock.now()
    const claimed = await claimDueDeliveries(this.#ctx.db, {
      now,
      leaseUntil: new Date(now.getTime() + this.#leaseMs),
      limit: this.#batchSize,
    })
    await Promise.all(claimed.map((delivery) => this.#deliver(delivery)))
    return claimed.length
  }

  async #deliver(delivery: WebhookDelivery): Promise<void> {
    const attempt = await this.#attempt(delivery)
    const now = this.#ctx.clock.now()
    const log = {
      deliveryId: delivery.id,
      clientId: delivery.client_id,
      type: delivery.event_type,
      attempt: delivery.attempts,
      status: attempt.status,
    }
    if (attempt.ok) {
      await updateDeliveryOutcome(this.#ctx.db, delivery.id, {
        status: 'delivered',
        lastStatus: attempt.status,
        lastError: null,
        nextAttemptAt: null,
        deliveredAt: now,
      })
      this.#ctx.log?.info({ ...log, outcome: 'delivered' }, 'webhook delivered')
      return
    }
    const giveUp = attempt.permanent || delivery.attempts >= MAX_ATTEMPTS
    await updateDeliveryOutcome(this.#ctx.db, delivery.id, {
      status: giveUp ? 'failed' : 'pending',
      lastStatus: attempt.status,
      lastError: attempt.error.slice(0, 500),
      nextAttemptAt: giveUp ? null : new Date(now.getTime() + retryDelayMs(delivery.attempts, this.#random)),
      deliveredAt: null,
    })
    this.#ctx.log?.warn(
      { ...log, error: attempt.error, outcome: giveUp ? 'failed' : 'retry' },
      'webhook attempt failed',
    )
  }

  async #attempt(delivery: WebhookDelivery): Promise<Attempt> {
    const { config, clock, secrets } = this.#ctx
    const partner = await findPartnerWebhook(this.#ctx.db, delivery.client_id)
    if (!partner?.webhook_url) return { ok: false, status: null, error: 'no_webhook_url', permanent: true }
    let url: URL
    try {
      url = await assertPublicHttpUrl(partner.webhook_url, {
        allowLoopback: config.allowLoopbackPartnerUrls,
        production: config.env === 'production',
        ...(this.#lookup ? { lookup: this.#lookup } : {}),
      })
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      const reason = (error.details as { reason?: string } | undefined)?.reason
      // A name that does not resolve may resolve later; a refused address or scheme will not change.
      return {
        ok: false,
        status: null,
        error: `${error.code}: ${error.message}`,
        permanent: reason !== 'unresolvable',
      }
    }
    let secret: string
    try {
      secret = secrets.open(partner.webhook_secret_enc, webhookSecretContext(partner.client_id))
    } catch {
      return { ok: false, status: null, error: 'webhook_secret_unreadable', permanent: false }
    }
    const body = JSON.stringify(delivery.payload)
    const timestamp = Math.floor(clock.now().getTime() / 1000)
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Tandem-Webhooks/1',
          [WEBHOOK_HEADERS.signature]: signWebhook(secret, body, timestamp),
          [WEBHOOK_HEADERS.eventId]: delivery.id,
          [WEBHOOK_HEADERS.eventType]: delivery.event_type,
        },
        body,
        // A redirect could lead anywhere, internal addresses included: it counts as a failure.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      })
      await res.body?.cancel().catch(() => {})
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status }
      return { ok: false, status: res.status, error: `http_${res.status}`, permanent: false }
    } catch (error) {
      return { ok: false, status: null, error: describeFetchError(error, this.#timeoutMs), permanent: false }
    }
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `timeout after ${timeoutMs} ms`
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause
  if (cause && typeof cause.code === 'string') return `network_error: ${cause.code}`
  if (cause && typeof cause.message === 'string') return `network_error: ${cause.message}`
  return `network_error: ${error instanceof Error ? error.message : String(error)}`
}
