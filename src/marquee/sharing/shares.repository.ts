import type { Insertable, Selectable } from 'kysely'
import type { Db, SharesTable } from '../db.ts'

export type Share = Selectable<SharesTable>

/** Tracked-link tokens: base64url of at least 16 random bytes (128 bits). */
export const TOKEN_RE = /^[A-Za-z0-9_-]{22,64}$/

export async function findShareByToken(db: Db, token: string): Promise<Share | undefined> {
  if (!TOKEN_RE.test(token)) return undefined
  return db.selectFrom('shares').selectAll().where('token', '=', token).executeTakeFirst()
}

export async function insertShares(db: Db, rows: Insertable<SharesTable>[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('shares').values(rows).execute()
}
