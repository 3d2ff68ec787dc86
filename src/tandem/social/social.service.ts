import type { Clock } from '../../lib/clock.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { findUserById, findUserByUsername } from '../accounts/accounts.repository.ts'
import type { Actor } from '../accounts/accounts.service.ts'
import type { Db } from '../db.ts'
import { publishEvent } from '../realtime/events.ts'
import { socialPolicy } from './social.policy.ts'
import {
  cancelRequestsBetween,
  deleteBlock,
  deleteFriendship,
  findBlockBetween,
  findFriendship,
  findPendingRequest,
  findRequest,
  insertBlock,
  insertFriendship,
  insertRequest,
  selectBlocked,
  selectFriends,
  selectPendingRequests,
  updateRequestStatus,
} from './social.repository.ts'

export async function areFriends(db: Db, a: string, b: string): Promise<boolean> {
  return (await findFriendship(db, a, b)) !== undefined
}

export async function isBlockedBetween(db: Db, a: string, b: string): Promise<boolean> {
  return (await findBlockBetween(db, a, b)).length > 0
}

/**
 * Sends a friend request by username. If the other person already asked, this accepts theirs.
 * Someone who blocked the actor looks exactly like someone who does not exist.
 */
export async function requestFriend(db: Db, clock: Clock, actor: Actor, username: string) {
  return db.transaction().execute(async (trx) => {
    const target = await findUserByUsername(trx, username)
    if (!target) throw notFound('user')
    const blocks = await findBlockBetween(trx, actor.userId, target.id)
    const blockedByTarget = blocks.some((b) => b.blocker_id === target.id)
    if (blockedByTarget) throw notFound('user')
    socialPolicy.authorize(actor, 'friend_request:create', {
      targetId: target.id,
      blockedByTarget,
      blockedByActor: blocks.some((b) => b.blocker_id === actor.userId),
    })
    if (await findFriendship(trx, actor.userId, target.id)) {
      throw new AppError(409, 'already_friends', 'you are already friends')
    }
    const now = clock.now()
    const theirs = await findPendingRequest(trx, target.id, actor.userId)
    if (theirs) {
      const accepted = await updateRequestStatus(trx, theirs.id, 'accepted', now)
      await insertFriendship(trx, actor.userId, target.id, now)
      await publishEvent(trx, { type: 'friends.changed', to: [actor.userId, target.id] })
      return { request: accepted ?? theirs, user: target, created: false }
    }
    const mine = await findPendingRequest(trx, actor.userId, target.id)
    if (mine) return { request: mine, user: target, created: false }
    const request = await insertRequest(trx, { id: newId(), from: actor.userId, to: target.id, now })
    await publishEvent(trx, { type: 'friends.changed', to: [target.id] })
    return { request, user: target, created: true }
  })
}

export async function respondToRequest(
  db: Db,
  clock: Clock,
  actor: Actor,
  requestId: string,
  answer: 'accepted' | 'declined',
) {
  return db.transaction().execute(async (trx) => {
    const request = await findRequest(trx, requestId)
    if (!request) throw notFound('friend_request')
    socialPolicy.authorize(actor, 'friend_request:respond', request)
    const now = clock.now()
    const updated = await updateRequestStatus(trx, request.id, answer, now)
    if (!updated) throw notFound('friend_request')
    if (answer === 'accepted') {
      if (await isBlockedBetween(trx, request.from_user_id, request.to_user_id))
        throw notFound('friend_request')
      await insertFriendship(trx, request.from_user_id, request.to_user_id, now)
    }
    await publishEvent(trx, { type: 'friends.changed', to: [request.from_user_id, request.to_user_id] })
    const from = await findUserById(trx, request.from_user_id)
    return { request: updated, user: from! }
  })
}

export async function cancelRequest(db: Db, clock: Clock, actor: Actor, requestId: string) {
  return db.transaction().execute(async (trx) => {
    const request = await findRequest(trx, requestId)
    if (!request) throw notFound('friend_request')
    socialPolicy.authorize(actor, 'friend_request:cancel', request)
    await updateRequestStatus(trx, request.id, 'cancelled', clock.now())
    await publishEvent(trx, { type: 'friends.changed', to: [request.from_user_id, request.to_user_id] })
  })
}

export const listRequests = (db: Db, actor: Actor) => selectPendingRequests(db, actor.userId)
export const listFriends = (db: Db, actor: Actor) => selectFriends(db, actor.userId)
export const listBlocked = (db: Db, actor: Actor) => selectBlocked(db, actor.userId)

export async function removeFriend(db: Db, actor: Actor, friendId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const removed = await deleteFriendship(trx, actor.userId, friendId)
    if (removed === 0) throw notFound('friend')
    await publishEvent(trx, { type: 'friends.changed', to: [actor.userId, friendId] })
  })
}

/** Blocking ends the friendship and any pending request; the blocked user is not told. */
export async function blockUser(
  db: Db,
  clock: Clock,
  actor: Actor,
  target: { userId?: string; username?: string },
) {
  return db.transaction().execute(async (trx) => {
    const user = target.userId
      ? await findUserById(trx, target.userId)
      : await findUserByUsername(trx, target.username ?? '')
    if (!user) throw notFound('user')
    if (user.id === actor.userId) throw new AppError(400, 'cannot_block_self', 'you cannot block yourself')
    const now = clock.now()
    await insertBlock(trx, actor.userId, user.id, now)
    await deleteFriendship(trx, actor.userId, user.id)
    await cancelRequestsBetween(trx, actor.userId, user.id, now)
    await publishEvent(trx, { type: 'friends.changed', to: [actor.userId, user.id] })
    return user
  })
}

export async function unblockUser(db: Db, actor: Actor, userId: string): Promise<void> {
  const removed = await deleteBlock(db, actor.userId, userId)
  if (removed === 0) throw notFound('block')
}
