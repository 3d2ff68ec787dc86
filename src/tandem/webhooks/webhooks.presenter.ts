import type { WebhookDelivery } from './webhooks.repository.ts'

/** A delivery as the admin console sees it: its state, never the payload or anything secret. */
export const presentDelivery = (row: WebhookDelivery) => ({
  id: row.id,
  type: row.event_type,
  status: row.status,
  attempts: row.attempts,
  lastStatus: row.last_status,
  lastError: row.last_error,
  createdAt: row.created_at.toISOString(),
  deliveredAt: row.delivered_at?.toISOString() ?? null,
  nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
})

export type PresentedDelivery = ReturnType<typeof presentDelivery>
