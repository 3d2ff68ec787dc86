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

/** Publishes inside the caller's transaction: only committed changes reach anyone. */
export async function publishEvent(db: Db, event: RealtimeEvent): Promise<void> {
  let payload = JSON.stringify(event)
  if (Buffer.byteLength(payload, 'utf8') > MAX_INLINE_PAYLOAD && event.type === 'message.created') {
    payload = JSON.stringify({ ...event, message: undefined })
  }
  await notify(db, EVENTS_CHANNEL, payload)
}
