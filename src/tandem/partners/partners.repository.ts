import type { Insertable, Selectable, Updateable } from 'kysely'
import type { Db, PartnerAppsTable } from '../db.ts'

export type PartnerApp = Selectable<PartnerAppsTable>

export async function selectPartner(db: Db, clientId: string): Promise<PartnerApp | undefined> {
  return db.selectFrom('partner_apps').selectAll().where('client_id', '=', clientId).executeTakeFirst()
}

/** Locks the partner row for the rest of the transaction: agreement changes for one partner run one at a time. */
export async function lockPartner(db: Db, clientId: string): Promise<PartnerApp | undefined> {
  return db
    .selectFrom('partner_apps')
    .selectAll()
    .where('client_id', '=', clientId)
    .forUpdate()
    .executeTakeFirst()
}

export async function selectPartners(
  db: Db,
  filter: { status?: PartnerApp['status'] } = {},
): Promise<PartnerApp[]> {
  let query = db.selectFrom('partner_apps').selectAll()
  if (filter.status) query = query.where('status', '=', filter.status)
  return query.orderBy('name').orderBy('client_id').execute()
}

/** Undefined when the client id is taken. */
export async function insertPartner(
  db: Db,
  row: Insertable<PartnerAppsTable>,
): Promise<PartnerApp | undefined> {
  return db
    .insertInto('partner_apps')
    .values(row)
    .onConflict((oc) => oc.column('client_id').doNothing())
    .returningAll()
    .executeTakeFirst()
}

export async function updatePartner(
  db: Db,
  clientId: string,
  changes: Updateable<PartnerAppsTable>,
): Promise<PartnerApp | undefined> {
  return db
    .updateTable('partner_apps')
    .set(changes)
    .where('client_id', '=', clientId)
    .returningAll()
    .executeTakeFirst()
}
