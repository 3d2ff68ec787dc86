import { type RawBuilder, type Selectable, sql } from 'kysely'
import { valuesTable } from '../../lib/db.ts'
import type { Db, LedgerEntriesTable } from '../db.ts'

/**
 * The call that takes a user's ledger append lock for the transaction; `userId` is SQL naming the user
 * (a parameter or a column). The key is namespaced so it cannot meet another feature's advisory lock on
 * the same user id.
 */
export const ledgerLock = (userId: RawBuilder<unknown>) =>
  sql`pg_advisory_xact_lock(hashtextextended('tandem.ledger:' || (${userId})::text, 0))`

/**
 * Takes the per-user append locks for this transaction, in the order given (callers sort them), in
 * one statement.
 */
export async function lockLedgers(trx: Db, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return
  if (userIds.length === 1) {
    await sql`select ${ledgerLock(sql`${userIds[0]}`)}`.execute(trx)
    return
  }
  // A function scan yields the array in order, and the locks are taken row by row as it does.
  await sql`select ${ledgerLock(sql.ref('u'))}
    from unnest(${userIds}::text[]) with ordinality as t(u, i) order by i`.execute(trx)
}

/** The newest entry of each user, in one statement. */
export async function findLedgerHeads(trx: Db, userIds: readonly string[]) {
  const rows = await sql<{ user_id: string; seq: string | number; hash: string }>`
    select h.user_id, e.seq, e.hash
    from unnest(${userIds}::uuid[]) as h(user_id)
    join lateral (
      select seq, hash from ledger_entries where user_id = h.user_id order by seq desc limit 1
    ) e on true`.execute(trx)
  return new Map(rows.rows.map((r) => [r.user_id, { seq: Number(r.seq), hash: r.hash }]))
}

export async function findLedgerHead(trx: Db, userId: string) {
  return trx
    .selectFrom('ledger_entries')
    .select(['seq', 'hash'])
    .where('user_id', '=', userId)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst()
}

export interface LedgerRow {
  userId: string
  seq: number
  clientId: string
  scope: string
  action: string
  objectCount: number
  purpose: string
  details: Record<string, unknown>
  createdAt: Date
  prevHash: string
  hash: string
}

/**
 * Inserts rows (in order) in one statement. With `expectedHeads`, only if every named user's newest
 * entry is still the one given (seq 0 and `genesis` for none): else nothing is inserted and the answer
 * is empty, for the caller to read the heads and try again. `alongside`, data-modifying statements
 * of the caller's effect, run in the same statement either way (as CTEs named alongside_0, …), after
 * `ctes`, the caller's own CTE definitions (`name as (…), …`), which they may read: a data-modifying
 * statement that starts with CTEs of its own must sit at the top level of the statement.
 */
export async function insertLedgerEntries(
  trx: Db,
  rows: readonly LedgerRow[],
  expected?: { heads: ReadonlyMap<string, { seq: number; hash: string }>; genesis: string },
  alongside?: RawBuilder<unknown> | readonly RawBuilder<unknown>[],
  ctes?: RawBuilder<unknown>,
): Promise<Selectable<LedgerEntriesTable>[]> {
  const effects = alongside === undefined ? [] : Array.isArray(alongside) ? alongside : [alongside]
  const named = [
    ...(ctes ? [ctes] : []),
    ...effects.map((effect, i) => sql`${sql.raw(`alongside_${i}`)} as (${effect})`),
  ]
  const values = sql.join(
    rows.map(
      (r, i) =>
        sql`(${i}::int, ${r.userId}::uuid, ${r.seq}::bigint, ${r.clientId}::text, ${r.scope}::text, ${r.action}::text, ${r.objectCount}::int, ${r.purpose}::text, ${JSON.stringify(r.details)}::jsonb, ${r.createdAt.toISOString()}::timestamptz, ${r.prevHash}::text, ${r.hash}::text)`,
    ),
  )
  let guard = sql``
  if (expected) {
    const heads = [...expected.heads].map(([userId, head]) => [userId, head.seq, head.hash])
    guard = sql`where not exists (
      select 1 from ${valuesTable('h', { user_id: 'uuid', seq: 'bigint', hash: 'text' }, heads)}
      left join lateral (
        select seq, hash from ledger_entries where user_id = h.user_id order by seq desc limit 1
      ) cur on true
      where coalesce(cur.seq, 0) <> h.seq or coalesce(cur.hash, ${expected.genesis}) <> h.hash
    )`
  }
  const result = await sql<Selectable<LedgerEntriesTable> & { ord?: number }>`
    ${named.length > 0 ? sql`with ${sql.join(named)}` : sql``}
    insert into ledger_entries
      (user_id, seq, client_id, scope, action, object_count, purpose, details, created_at, prev_hash, hash)
    select user_id, seq, client_id, scope, action, object_count, purpose, details, created_at, prev_hash, hash
    from (values ${values}) as v(ord, user_id, seq, client_id, scope, action, object_count, purpose, details, created_at, prev_hash, hash)
    ${guard}
    order by ord
    returning *`.execute(trx)
  return result.rows
}

/**
 * One entry, in one statement that also takes the user's append lock: inserted only if the user's
 * newest entry is still `expected` (seq 0 and `genesis` for none) and no other append took its seq.
 * The statement's snapshot may predate the lock (it waited for another appender), in which case the
 * seq is taken and nothing is inserted: the answer is undefined, for the caller to take the long way.
 * The row comes back with the user's display name, for a read that records itself as it reads.
 */
export async function insertLedgerEntryLocking(
  db: Db,
  row: LedgerRow,
  expected: { seq: number; hash: string },
  genesis: string,
): Promise<(Selectable<LedgerEntriesTable> & { user_display_name: string | null }) | undefined> {
  const result = await sql<Selectable<LedgerEntriesTable> & { user_display_name: string | null }>`
    with l as (select 1 as locked from (select ${ledgerLock(sql`${row.userId}`)}) x),
    head as (
      select coalesce((select seq from ledger_entries where user_id = ${row.userId}::uuid order by seq desc limit 1), 0) as seq,
        coalesce((select hash from ledger_entries where user_id = ${row.userId}::uuid order by seq desc limit 1), ${genesis}::text) as hash
    )
    insert into ledger_entries
      (user_id, seq, client_id, scope, action, object_count, purpose, details, created_at, prev_hash, hash)
    select ${row.userId}::uuid, ${row.seq}::bigint, ${row.clientId}::text, ${row.scope}::text, ${row.action}::text,
      ${row.objectCount}::int, ${row.purpose}::text, ${JSON.stringify(row.details)}::jsonb,
      ${row.createdAt.toISOString()}::timestamptz, ${row.prevHash}::text, ${row.hash}::text
    from l, head
    where head.seq = ${expected.seq}::bigint and head.hash = ${expected.hash}::text
      and exists (select 1 from users where id = ${row.userId}::uuid)
    on conflict (user_id, seq) do nothing
    returning *, (select display_name from users where id = ${row.userId}::uuid) as user_display_name`.execute(
    db,
  )
  return result.rows[0]
}

/** Newest first, strictly before `beforeSeq` when given. */
export async function selectLedgerPage(
  db: Db,
  userId: string,
  options: { clientId?: string | undefined; beforeSeq?: number | undefined; limit: number },
) {
  let query = db.selectFrom('ledger_entries').selectAll().where('user_id', '=', userId)
  if (options.clientId !== undefined) query = query.where('client_id', '=', options.clientId)
  if (options.beforeSeq !== undefined) query = query.where('seq', '<', options.beforeSeq)
  return query.orderBy('seq', 'desc').limit(options.limit).execute()
}

/** Chain order (oldest first), after `afterSeq` when given: verification and exports walk the ledger in chunks. */
export async function selectLedgerChunk(
  db: Db,
  userId: string,
  options: { clientId?: string | undefined; afterSeq?: number | undefined; limit: number },
) {
  let query = db.selectFrom('ledger_entries').selectAll().where('user_id', '=', userId)
  if (options.afterSeq !== undefined) query = query.where('seq', '>', options.afterSeq)
  if (options.clientId !== undefined) query = query.where('client_id', '=', options.clientId)
  return query.orderBy('seq', 'asc').limit(options.limit).execute()
}
