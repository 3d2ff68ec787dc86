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
  effect: () => Promise<{ status: number; body: T }>,
): Promise<StoredResponse<T>> {
  const claimed = (await claimKey(id, clock.now()).execute(trx)).rows[0]
  if (!claimed) return storedResponse<T>(trx, id)
  const result = await effect()
  await storeResponse(id, result).execute(trx)
  return { ...result, replayed: false }
}

/**
 * The statement that claims a key: it answers the key when this call claimed it, and nothing when the
 * key was claimed before (after waiting for an uncommitted claim to commit).
 */
function claimKey(id: IdempotencyId, now: Date) {
  return sql<{ key: string }>`
    insert into idempotency_keys (user_id, scope, key, request_hash, status, response, created_at)
    values (${id.ownerId}::uuid, ${id.scope}, ${id.key}, ${id.requestHash}, 0, 'null'::jsonb,
      ${now.toISOString()}::timestamptz)
    on conflict (user_id, scope, key) do nothing
    returning key`
}

/** A key's row as keyRecord reads it. */
export interface KeyRecord {
  request_hash: string
  status: number
  response: unknown
}

/** The answer a repeat gets: the stored response, or 422 when the key was used for another request. */
export function replay<T>(stored: KeyRecord, id: IdempotencyId): StoredResponse<T> {
  if (stored.request_hash !== id.requestHash) {
    throw new AppError(
      422,
      'idempotency_key_reused',
      'this Idempotency-Key was already used for a different request',
    )
  }
  return { status: stored.status, body: stored.response as T, replayed: true }
}

/** The answer to a call whose key was claimed before, read in a statement whose snapshot sees the claim. */
async function storedResponse<T>(trx: Db, id: IdempotencyId): Promise<StoredResponse<T>> {
  const stored = await trx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status', 'response'])
    .where('user_id', '=', id.ownerId)
    .where('scope', '=', id.scope)
    .where('key', '=', id.key)
    .executeTakeFirstOrThrow()
  return replay<T>(stored, id)
}

/** The statement that stores a claimed key's answer. */
function storeResponse<T>(id: IdempotencyId, result: { status: number; body: T }) {
  return sql`update idempotency_keys set status = ${result.status}, response = ${JSON.stringify(result.body)}::jsonb
    where user_id = ${id.ownerId}::uuid and scope = ${id.scope} and key = ${id.key}`
}

/**
 * For an effect whose calls of one owner already run one at a time (a lock of its own, taken before it
 * reads), in place of once()'s claim and its later update: the key's row as an SQL expression (null when
 * the key is new), for a statement of the effect that runs under that lock and so sees every earlier call.
 */
export const keyRecord = (id: IdempotencyId) =>
  sql`(select json_build_object('request_hash', k.request_hash, 'status', k.status, 'response', k.response)
    from idempotency_keys k where k.user_id = ${id.ownerId}::uuid and k.scope = ${id.scope} and k.key = ${id.key})`

/** keyRecord's counterpart: the statement that stores the key with its answer, for the effect's last statement. */
export function insertKeyWithResponse<T>(id: IdempotencyId, now: Date, result: { status: number; body: T }) {
  return sql`insert into idempotency_keys (user_id, scope, key, request_hash, status, response, created_at)
    values (${id.ownerId}::uuid, ${id.scope}, ${id.key}, ${id.requestHash}, ${result.status},
      ${JSON.stringify(result.body)}::jsonb, ${now.toISOString()}::timestamptz)`
}

/** Keys are kept a day, as Stripe does; older ones may be reused. */
export async function purgeIdempotencyKeys(db: Db, clock: Clock, maxAgeMs = 86_400_000): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', new Date(clock.now().getTime() - maxAgeMs))
    .execute()
}
