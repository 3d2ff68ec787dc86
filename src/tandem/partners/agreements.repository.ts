import type { Insertable, Selectable } from 'kysely'
import type { AgreementsTable, Db, PrivilegedApi } from '../db.ts'

export type Agreement = Selectable<AgreementsTable>

export async function selectAgreement(db: Db, id: string): Promise<Agreement | undefined> {
  return db.selectFrom('agreements').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function selectAgreements(db: Db, filter: { clientIds?: string[] } = {}): Promise<Agreement[]> {
  let query = db.selectFrom('agreements').selectAll()
  if (filter.clientIds) {
    if (filter.clientIds.length === 0) return []
    query = query.where('client_id', 'in', filter.clientIds)
  }
  return query.orderBy('client_id').orderBy('api').orderBy('version').execute()
}

export async function selectMaxVersion(db: Db, clientId: string, api: PrivilegedApi): Promise<number> {
  const row = await db
    .selectFrom('agreements')
    .select((eb) => eb.fn.max('version').as('version'))
    .where('client_id', '=', clientId)
    .where('api', '=', api)
    .executeTakeFirst()
  return Number(row?.version ?? 0)
}

/** Un-ended agreements for (client, api) whose validity overlaps [from, until). */
export async function selectOverlapping(
  db: Db,
  q: { clientId: string; api: PrivilegedApi; from: Date; until: Date; exceptId?: string },
): Promise<Agreement[]> {
  let query = db
    .selectFrom('agreements')
    .selectAll()
    .where('client_id', '=', q.clientId)
    .where('api', '=', q.api)
    .where('ended_at', 'is', null)
    .where('valid_from', '<', q.until)
    .where('valid_until', '>', q.from)
  if (q.exceptId) query = query.where('id', '!=', q.exceptId)
  return query.execute()
}

/** Agreements in force at `now`: started, not yet expired, not ended; optionally only for active partners. */
export async function selectAgreementsInForce(
  db: Db,
  clientId: string,
  now: Date,
  options: { activePartnerOnly: boolean },
): Promise<Agreement[]> {
  let query = db
    .selectFrom('agreements')
    .selectAll('agreements')
    .where('agreements.client_id', '=', clientId)
    .where('agreements.valid_from', '<=', now)
    .where('agreements.valid_until', '>', now)
    .where('agreements.ended_at', 'is', null)
  if (options.activePartnerOnly) {
    query = query
      .innerJoin('partner_apps', 'partner_apps.client_id', 'agreements.client_id')
      .where('partner_apps.status', '=', 'active')
  }
  return query.orderBy('agreements.api').orderBy('agreements.version').execute()
}

export async function insertAgreement(db: Db, row: Insertable<AgreementsTable>): Promise<Agreement> {
  return db.insertInto('agreements').values(row).returningAll().executeTakeFirstOrThrow()
}

/** Ends an agreement that has not ended; undefined when it already had. */
export async function updateAgreementEnded(
  db: Db,
  id: string,
  endedAt: Date,
  reason: string,
): Promise<Agreement | undefined> {
  return db
    .updateTable('agreements')
    .set({ ended_at: endedAt, end_reason: reason })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
}
