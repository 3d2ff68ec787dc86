import { sql } from 'kysely'
import { notify } from '../../lib/db.ts'
import type { Db } from '../db.ts'
import type { PresentedMessage } from '../messaging/messaging.presenter.ts'

export const EVENTS_CHANNEL = 'tandem_events'
// NOTIFY payloads must stay under 8000 bytes (bytes, not characters); larger messages travel by reference.
const MAX_INLINE_PAYLOAD = 7000

/** What the realtime layer fans out; `to` lists the users whose open tabs receive it. */
export type RealtimeEvent =
  | { type: 'message.created'; to: string[]; threadId: string; message?: PresentedMessage; messageId: string }
  | { type: 'thread.read'; to: string[]; threadId: string; lastReadSeq: number }
  | { type: 'thread.created'; to: string[]; threadId: string }
  | { type: 'friends.changed'; to: string[] }

function eventPayload(event: RealtimeEvent): string {
  const payload = JSON.stringify(event)
  if (Buffer.byteLength(payload, 'utf8') > MAX_INLINE_PAYLOAD && event.type === 'message.created') {
    return JSON.stringify({ ...event, message: undefined })
  }
  return payload
}

/** Publishes inside the caller's transaction: only committed changes reach anyone. */
export async function publishEvent(db: Db, event: RealtimeEvent): Promise<void> {
  await notify(db, EVENTS_CHANNEL, eventPayload(event))
}

/**
 * `pg_notify(…)` publishing `event`, an expression for a caller that evaluates it inside one of its own
 * statements (to spare a round trip); delivered, like publishEvent's, only on commit.
 */
export const eventNotification = (event: RealtimeEvent) =>
  sql`pg_notify(${EVENTS_CHANNEL}, ${eventPayload(event)})`
