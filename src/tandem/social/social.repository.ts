import { sql } from 'kysely'
import type { Db } from '../db.ts'

const userColumns = ['users.id', 'users.username', 'users.display_name'] as const
const requestUserColumns = ['users.id as user_id', 'users.username', 'users.display_name'] as const

export async function findFriendship(db: Db, userId: string, friendId: string) {
  return db
    .selectFrom('friendships')
    .selectAll()
    .where('user_id', '=', userId)
    .where('friend_id', '=', friendId)
    .executeTakeFirst()
}

export async function insertFriendship(db: Db, a: string, b: string, now: Date): Promise<void> {
  await db
    .insertInto('friendships')
    .values([
      { user_id: a, friend_id: b, created_at: now },
      { user_id: b, friend_id: a, created_at: now },
    ])
    .onConflict((oc) => oc.doNothing())
    .execute()
}

export async function deleteFriendship(db: Db, a: string, b: string): Promise<number> {
  const result = await db
    .deleteFrom('friendships')
    .where((eb) =>
      eb.or([
        eb.and([eb('user_id', '=', a), eb('friend_id', '=', b)]),
        eb.and([eb('user_id', '=', b), eb('friend_id', '=', a)]),
      ]),
    )
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function selectFriends(db: Db, userId: string) {
  return db
    .selectFrom('friendships')
    .innerJoin('users', 'users.id', 'friendships.friend_id')
    .select([...userColumns, 'friendships.created_at as since'])
    .where('friendships.user_id', '=', userId)
    .orderBy(sql`lower(users.display_name)`)
    .orderBy('users.id')
    .execute()
}

export async function findBlockBetween(db: Db, a: string, b: string) {
  return db
    .selectFrom('blocks')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('blocker_id', '=', a), eb('blocked_id', '=', b)]),
        eb.and([eb('blocker_id', '=', b), eb('blocked_id', '=', a)]),
      ]),
    )
    .execute()
}

export async function insertBlock(db: Db, blockerId: string, blockedId: string, now: Date): Promise<void> {
  await db
    .insertInto('blocks')
    .values({ blocker_id: blockerId, blocked_id: blockedId, created_at: now })
    .onConflict((oc) => oc.doNothing())
    .execute()
}

export async function deleteBlock(db: Db, blockerId: string, blockedId: string): Promise<number> {
  const result = await db
    .deleteFrom('blocks')
    .where('blocker_id', '=', blockerId)
    .where('blocked_id', '=', blockedId)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function selectBlocked(db: Db, blockerId: string) {
  return db
    .selectFrom('blocks')
    .innerJoin('users', 'users.id', 'blocks.blocked_id')
    .select([...userColumns, 'blocks.created_at as since'])
    .where('blocks.blocker_id', '=', blockerId)
    .orderBy('blocks.created_at', 'desc')
    .execute()
}

export async function findPendingRequest(db: Db, fromUserId: string, toUserId: string) {
  return db
    .selectFrom('friend_requests')
    .selectAll()
    .where('from_user_id', '=', fromUserId)
    .where('to_user_id', '=', toUserId)
    .where('status', '=', 'pending')
    .executeTakeFirst()
}

export async function findRequest(db: Db, id: string) {
  return db.selectFrom('friend_requests').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertRequest(db: Db, request: { id: string; from: string; to: string; now: Date }) {
  return db
    .insertInto('friend_requests')
    .values({
      id: request.id,
      from_user_id: request.from,
      to_user_id: request.to,
      status: 'pending',
      created_at: request.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function updateRequestStatus(
  db: Db,
  id: string,
  status: 'accepted' | 'declined' | 'cancelled',
  now: Date,
) {
  return db
    .updateTable('friend_requests')
    .set({ status, responded_at: now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst()
}

/** Closes every pending request between two users (after a block). */
export async function cancelRequestsBetween(db: Db, a: string, b: string, now: Date): Promise<void> {
  await db
    .updateTable('friend_requests')
    .set({ status: 'cancelled', responded_at: now })
    .where('status', '=', 'pending')
    .where((eb) =>
      eb.or([
        eb.and([eb('from_user_id', '=', a), eb('to_user_id', '=', b)]),
        eb.and([eb('from_user_id', '=', b), eb('to_user_id', '=', a)]),
      ]),
    )
    .execute()
}

export async function selectPendingRequests(db: Db, userId: string) {
  const base = db
    .selectFrom('friend_requests')
    .select([
      'friend_requests.id',
      'friend_requests.from_user_id',
      'friend_requests.to_user_id',
      'friend_requests.created_at',
      'friend_requests.status',
    ])
    .where('friend_requests.status', '=', 'pending')
  const incoming = await base
    .innerJoin('users', 'users.id', 'friend_requests.from_user_id')
    .select(requestUserColumns)
    .where('friend_requests.to_user_id', '=', userId)
    .orderBy('friend_requests.created_at', 'desc')
    .execute()
  const outgoing = await base
    .innerJoin('users', 'users.id', 'friend_requests.to_user_id')
    .select(requestUserColumns)
    .where('friend_requests.from_user_id', '=', userId)
    .orderBy('friend_requests.created_at', 'desc')
    .execute()
  return { incoming, outgoing }
}
