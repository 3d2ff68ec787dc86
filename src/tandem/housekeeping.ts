import type { Clock } from '../lib/clock.ts'
import { deleteExpiredSessions } from './accounts/accounts.repository.ts'
import type { Db } from './db.ts'
import { purgeIdempotencyKeys } from './messaging/idempotency.ts'
import { purgeExpiredPayloads } from './oauth/adapter.ts'

/** Deletes what has expired: sessions, idempotency keys older than a day, OAuth artefacts past their TTL. */
export async function runHousekeeping(db: Db, clock: Clock) {
  const now = clock.now()
  const sessions = await deleteExpiredSessions(db, now)
  await purgeIdempotencyKeys(db, clock)
  const oauth = await purgeExpiredPayloads(db, now)
  return { sessions, oauth }
}
