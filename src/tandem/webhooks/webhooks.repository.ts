import { type Selectable, sql } from 'kysely'
import type { Db, WebhookDeliveriesTable } from '../db.ts'

export type WebhookDelivery = Selectable<WebhookDeliveriesTable>

export async function findPartnerWebhook(db: Db, clientId: string) {
  return db
    .selectFrom('partner_apps')
    .select(['client_id', 'webhook_url', 'webhook_secret_enc'])
    .where('client_id', '=', clientId)
    .executeTakeFirst()
}

export async function updateWebhookSecret(
  db: Db,
  clientId: string,
  secretEnc: string,
  now: Date,
): Promise<number> {
  const result = await db
    .updateTable('partner_apps')
    .set({ webhook_secret_enc: secretEnc, updated_at: now })
    .where('client_id', '=', clientId)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function insertDelivery(
  db: Db,
  row: {
    id: string
    clientId: string
    eventType: string
    payload: Record<string, unknown>
    status: 'pending' | 'failed'
    lastError: string | null
    now: Date
  },
): Promise<void> {
  await db
    .insertInto('webhook_deliveries')
    .values({
      id: row.id,
      client_id: row.clientId,
      event_type: row.eventType,
      payload: JSON.stringify(row.payload),
      status: row.status,
      next_attempt_at: row.status === 'pending' ? row.now : null,
      last_error: row.lastError,
      created_at: row.now,
    })
    .execute()
}

/**
 * Takes up to `limit` due deliveries for this worker: counts the attempt and moves `next_attempt_at`
 * to `leaseUntil`, so another worker neither takes them now (SKIP LOCKED while this transaction runs)
 * nor after it commits (no longer due), yet retries them if this worker dies mid-delivery.
 */
export async function claimDueDeliveries(
  db: Db,
  options: { now: Date; leaseUntil: Date; limit: number },
): Promise<WebhookDelivery[]> {
  return db
    .updateTable('webhook_deliveries')
    .set({ attempts: sql`attempts + 1`, next_attempt_at: options.leaseUntil })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', options.now)
        .orderBy('next_attempt_at')
        .limit(options.limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute()
}

export async function updateDeliveryOutcome(
  db: Db,
  id: string,
  outcome: {
    status: 'pending' | 'delivered' | 'failed'
    lastStatus: number | null
    lastError: string | null
    nextAttemptAt: Date | null
    deliveredAt: Date | null
  },
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({
      status: outcome.status,
      last_status: outcome.lastStatus,
      last_error: outcome.lastError,
      next_attempt_at: outcome.nextAttemptAt,
      delivered_at: outcome.deliveredAt,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute()
}

export async function findDelivery(db: Db, id: string): Promise<WebhookDelivery | undefined> {
  return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Newest first; `before` is the (created_at, id) of the last row of the previous page. */
export async function selectDeliveries(
  db: Db,
  clientId: string,
  options: { limit: number; before?: { at: Date; id: string } | undefined },
): Promise<WebhookDelivery[]> {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('client_id', '=', clientId)
  if (options.before) {
    const { at, id } = options.before
    query = query.where(sql<boolean>`(created_at, id) < (${at}, ${id}::uuid)`)
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit).execute()
}

/** Puts a failed delivery back in the queue with a fresh set of attempts. */
export async function requeueFailedDelivery(
  db: Db,
  id: string,
  now: Date,
): Promise<WebhookDelivery | undefined> {
  return db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, delivered_at: null })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .returningAll()
    .executeTakeFirst()
}
