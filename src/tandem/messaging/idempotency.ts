import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type { Clock } from '../../lib/clock.ts'
import { AppError } from '../../lib/errors.ts'
import type { Db } from '../db.ts'

export interface StoredResponse<T> {
  status: number
  body: T
  replayed: boolean
}

export const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/

export function requestHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url')
}

export interface IdempotencyId {
  ownerId: string
  scope: string
  key: string
  requestHash: string
}

/**
 * Runs `effect` at most once per (owner, scope, key), inside the caller's transaction.
 * A repeat with the same request gets the stored response; with a different request, 422.
 * A concurrent repeat waits on the first one's row lock and then sees its committed answer.
 */
export async function once<T>(
  trx: Db,
  clock: Clock,
  id: IdempotencyId,
  effect: () => Promise<{ status: number; body: T; stored?: boolean }>,
): Promise<StoredResponse<T>> {
  const claimed = (await claimKey(id, clock.now()).execute(trx)).rows[0]
  if (!claimed) return storedResponse<T>(trx, id)
  const { stored, ...result } = await effect()
  if (!stored) await storeResponse(id, result).execute(trx)
  return { ...result, replayed: false }
}

/**
 * The statement that claims a key: it answers the key when this call claimed it, and nothing when the
 * key was claimed before (after waiting for an uncommitted claim to commit). An effect may run it as a
 * CTE of its own first statement, to spare a round trip; `after` names a CTE of that statement whose
 * row the claim is made from, so that the claim runs once that CTE has taken its locks.
 */
export function claimKey(id: IdempotencyId, now: Date, after?: string) {
  return sql<{ key: string }>`
    insert into idempotency_keys (user_id, scope, key, request_hash, status, response, created_at)
    select ${id.ownerId}::uuid, ${id.scope}, ${id.key}, ${id.requestHash}, 0, 'null'::jsonb,
      ${now.toISOString()}::timestamptz
    ${after === undefined ? sql`` : sql`from ${sql.id(after)}`}
    on conflict (user_id, scope, key) do nothing
    returning key`
}

/**
 * The answer to a call whose key was claimed before: the stored response, or 422 when that key was used
 * for another request. Read in a statement of its own, whose snapshot sees the committed claim.
 */
export async function storedResponse<T>(trx: Db, id: IdempotencyId): Promise<StoredResponse<T>> {
  const stored = await trx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status', 'response'])
    .where('user_id', '=', id.ownerId)
    .where('scope', '=', id.scope)
    .where('key', '=', id.key)
    .executeTakeFirstOrThrow()
  if (stored.request_hash !== id.requestHash) {
    throw new AppError(
      422,
      'idempotency_key_reused',
      'this Idempotency-Key was already used for a different request',
    )
  }
  return { status: stored.status, body: stored.response as T, replayed: true }
}

/**
 * The statement that stores a claimed key's answer. An effect may run it inside one of its own
 * statements (as a CTE) to spare a round trip, and then answer with `stored: true`.
 */
export function storeResponse<T>(
  id: { ownerId: string; scope: string; key: string },
  result: { status: number; body: T },
) {
  return sql`update idempotency_keys set status = ${result.status}, response = ${JSON.stringify(result.body)}::jsonb
    where user_id = ${id.ownerId}::uuid and scope = ${id.scope} and key = ${id.key}`
}

/** Keys are kept a day, as Stripe does; older ones may be reused. */
export async function purgeIdempotencyKeys(db: Db, clock: Clock, maxAgeMs = 86_400_000): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', new Date(clock.now().getTime() - maxAgeMs))
    .execute()
}
