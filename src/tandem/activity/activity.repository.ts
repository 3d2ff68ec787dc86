import type { ActivityTitle, Db } from '../db.ts'

export async function findActivityOwner(db: Db, userId: string) {
  return db
    .selectFrom('users')
    .select(['id', 'partner_activity_enabled'])
    .where('id', '=', userId)
    .forUpdate()
    .executeTakeFirst()
}

export async function insertActivityItem(
  db: Db,
  item: {
    id: string
    userId: string
    clientId: string
    kind: 'watching' | 'finished'
    title: ActivityTitle
    createdAt: Date
    expiresAt: Date
  },
): Promise<void> {
  await db
    .insertInto('activity_items')
    .values({
      id: item.id,
      user_id: item.userId,
      client_id: item.clientId,
      kind: item.kind,
      title: JSON.stringify(item.title),
      created_at: item.createdAt,
      expires_at: item.expiresAt,
    })
    .execute()
}

/**
 * Deletes every item of the user except `keepId` and the `keep` newest live ones besides it:
 * older, expired and user-deleted items all go.
 */
export async function deleteActivityBeyond(
  db: Db,
  userId: string,
  keepId: string,
  keep: number,
  now: Date,
): Promise<number> {
  const newest = db
    .selectFrom('activity_items')
    .select('id')
    .where('user_id', '=', userId)
    .where('id', '<>', keepId)
    .where('deleted_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(keep)
  const result = await db
    .deleteFrom('activity_items')
    .where('user_id', '=', userId)
    .where('id', '<>', keepId)
    .where('id', 'not in', newest)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function selectVisibleActivity(db: Db, userId: string, now: Date, limit: number) {
  return db
    .selectFrom('activity_items')
    .innerJoin('partner_apps', 'partner_apps.client_id', 'activity_items.client_id')
    .select([
      'activity_items.id',
      'activity_items.kind',
      'activity_items.title',
      'activity_items.client_id',
      'activity_items.created_at',
      'partner_apps.name as partner_name',
    ])
    .where('activity_items.user_id', '=', userId)
    .where('activity_items.deleted_at', 'is', null)
    .where('activity_items.expires_at', '>', now)
    .orderBy('activity_items.created_at', 'desc')
    .orderBy('activity_items.id', 'desc')
    .limit(limit)
    .execute()
}

export type ActivityRow = Awaited<ReturnType<typeof selectVisibleActivity>>[number]

export async function markActivityDeleted(db: Db, userId: string, id: string, now: Date): Promise<number> {
  const result = await db
    .updateTable('activity_items')
    .set({ deleted_at: now })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
