import { type RawBuilder, sql } from 'kysely'
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
 * A message.created event can be published by the statement that writes its message, before the
 * message's sequence number is known: the message carries this number instead, and the statement puts
 * the real one in its place (eventPayloadSql's `seq`). JSON never has it anywhere else: the only `seq`
 * key of such an event is the message's, and a string cannot hold an unescaped quote.
 */
export const SEQ_PLACEHOLDER = -1

/**
 * The NOTIFY payload of `event` as an SQL text expression. With `seq`, the message's sequence number
 * is that SQL expression, in place of SEQ_PLACEHOLDER.
 */
export function eventPayloadSql(event: RealtimeEvent, seq?: RawBuilder<unknown>) {
  const payload = eventPayload(event)
  const mark = `"seq":${SEQ_PLACEHOLDER}`
  const at = seq ? payload.indexOf(mark) : -1
  // A message too large to travel inline travels by reference, without its seq.
  if (!seq || at < 0) return sql`${payload}::text`
  const before = payload.slice(0, at + '"seq":'.length)
  return sql`(${before} || (${seq})::text || ${payload.slice(at + mark.length)})`
}

/**
 * `pg_notify(…)` publishing `event`, an expression for a caller that evaluates it inside one of its own
 * statements (to spare a round trip); delivered, like publishEvent's, only on commit. `seq` as for
 * eventPayloadSql.
 */
export const eventNotification = (event: RealtimeEvent, seq?: RawBuilder<unknown>) =>
  sql`pg_notify(${EVENTS_CHANNEL}, ${eventPayloadSql(event, seq)})`
