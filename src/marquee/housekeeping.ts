import type { Clock } from '../lib/clock.ts'
import { deleteExpiredSessions } from './accounts/accounts.service.ts'
import type { Db } from './db.ts'
import { purgeShareRequests } from './sharing/sharing.service.ts'
import { deleteRetiredKeys } from './tandem-link/keys.ts'

const DAY_MS = 86_400_000

/**
 * Deletes what no longer serves: expired sessions and Connect-with-Tandem requests, share
 * Idempotency-Keys older than a day, and the ids of handled Tandem webhooks once a replay of them
 * would fail as stale anyway (a day, far past the signature's five-minute tolerance), and
 * signing keys retired more than a day ago. Agreement events, kept for the operator, stay.
 */
export async function runHousekeeping(db: Db, clock: Clock) {
  const now = clock.now()
  const dayAgo = new Date(now.getTime() - DAY_MS)
  const sessions = await deleteExpiredSessions(db, now)
  await purgeShareRequests(db, now, DAY_MS)
  const authRequests = await db
    .deleteFrom('tandem_auth_requests')
    .where('expires_at', '<', now)
    .executeTakeFirst()
  const retiredKeys = await deleteRetiredKeys({ db, clock })
  const webhookEvents = await db
    .deleteFrom('tandem_webhook_events')
    .where('received_at', '<', dayAgo)
    .where('data', 'is', null)
    .executeTakeFirst()
  return {
    sessions,
    authRequests: Number(authRequests.numDeletedRows),
    webhookEvents: Number(webhookEvents.numDeletedRows),
    retiredKeys,
  }
}
