import { sql } from 'kysely'
import type { Db } from '../db.ts'

/**
 * Takes the per-user append locks for this transaction, in the order given (callers sort them).
 * The key is namespaced so it cannot meet another feature's advisory lock on the same user id.
 */
export async function lockLedgers(trx: Db, userIds: readonly string[]): Promise<void> {
  for (const userId of userIds) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`tandem.ledger:${userId}`}, 0))`.execute(trx)
  }
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

export async function insertLedgerEntry(
  trx: Db,
  row: {
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
  },
) {
  return trx
    .insertInto('ledger_entries')
    .values({
      user_id: row.userId,
      seq: row.seq,
      client_id: row.clientId,
      scope: row.scope,
      action: row.action,
      object_count: row.objectCount,
      purpose: row.purpose,
      details: JSON.stringify(row.details),
      created_at: row.createdAt,
      prev_hash: row.prevHash,
      hash: row.hash,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
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
