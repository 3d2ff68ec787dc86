import { createHmac } from 'node:crypto'
import type { Clock } from '../../lib/clock.ts'
import type { Db } from '../db.ts'

/**
 * App-scoped subject ids: HMAC(salt, client, user), so the same person has unrelated ids at two
 * partners. Each id is recorded so the resource server can map a token's `sub` back to the user.
 * They are 43 characters, longer than any client id, so a user `sub` never equals a client's (row 32).
 */
export function appScopedId(salt: string, clientId: string, userId: string): string {
  return createHmac('sha256', salt).update(`${clientId}\u0000${userId}`).digest('base64url')
}

export async function recordAppSubject(db: Db, clock: Clock, salt: string, clientId: string, userId: string) {
  const sub = appScopedId(salt, clientId, userId)
  await db
    .insertInto('app_subjects')
    .values({ client_id: clientId, user_id: userId, sub, created_at: clock.now() })
    .onConflict((oc) => oc.columns(['client_id', 'user_id']).doNothing())
    .execute()
  return sub
}

export async function findUserByAppSubject(
  db: Db,
  clientId: string,
  sub: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('app_subjects')
    .select('user_id')
    .where('client_id', '=', clientId)
    .where('sub', '=', sub)
    .executeTakeFirst()
  return row?.user_id
}
