import { sql } from 'kysely'
import type { Db } from '../db.ts'

export async function upsertPartnerGrant(
  db: Db,
  grant: { grantId: string; userId: string; clientId: string; scopes: string[]; now: Date },
): Promise<void> {
  await db
    .insertInto('partner_grants')
    .values({
      grant_id: grant.grantId,
      user_id: grant.userId,
      client_id: grant.clientId,
      scopes: JSON.stringify(grant.scopes),
      created_at: grant.now,
      updated_at: grant.now,
    })
    .onConflict((oc) =>
      oc.column('grant_id').doUpdateSet({ scopes: JSON.stringify(grant.scopes), updated_at: grant.now }),
    )
    .execute()
}

/** The partner and revocation of each named grant that exists, in one statement whatever their number. */
export async function selectGrantStates(db: Db, grantIds: string[]) {
  return db
    .selectFrom('partner_grants')
    .select(['grant_id', 'client_id', 'revoked_at'])
    .where(sql<boolean>`grant_id = any(${grantIds}::text[])`)
    .execute()
}

/** Marks a grant revoked once; returns whether this call did it. */
export async function markGrantRevoked(db: Db, grantId: string, now: Date, reason: string): Promise<boolean> {
  const result = await db
    .updateTable('partner_grants')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('grant_id', '=', grantId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

export async function selectActiveGrants(db: Db, userId: string, clientId?: string) {
  let query = db
    .selectFrom('partner_grants')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
  if (clientId) query = query.where('client_id', '=', clientId)
  return query.orderBy('created_at').execute()
}
