import type { Clock } from '../../lib/clock.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { isUuid, newId } from '../../lib/ids.ts'
import { findUserByUsername } from '../accounts/accounts.repository.ts'
import type { Actor } from '../accounts/accounts.service.ts'
import type { Db } from '../db.ts'
import { appendLedgerEntry } from '../ledger/ledger.service.ts'
import type { PartnerCaller } from '../partner-api/guard.ts'
import { areFriends } from '../social/social.service.ts'
import {
  deleteActivityBeyond,
  findActivityOwner,
  insertActivityItem,
  markActivityDeleted,
  selectVisibleActivity,
} from './activity.repository.ts'
import type { PublishActivity } from './activity.schemas.ts'

export const ACTIVITY_TTL_MS = 14 * 86_400_000
/** Only the newest items per user are kept; publishing one more deletes the oldest. */
export const ACTIVITY_KEEP = 20

/**
 * A partner publishes "watching" or "finished" for the user its token speaks for. The item, the
 * pruning of older ones and the ledger entry commit together (privacy rule 3); nothing is stored
 * while the user has partner activity turned off.
 */
export async function publishActivity(
  db: Db,
  clock: Clock,
  caller: PartnerCaller,
  input: PublishActivity,
): Promise<{ id: string }> {
  const userId = caller.userId
  if (!userId) throw new AppError(401, 'invalid_token', 'the access token names no user')
  return db.transaction().execute(async (trx) => {
    // The row lock orders concurrent publishes for one user, so pruning sees every earlier insert.
    const owner = await findActivityOwner(trx, userId)
    if (!owner) throw new AppError(401, 'invalid_token', 'the access token names no user')
    if (!owner.partner_activity_enabled) {
      throw new AppError(403, 'activity_disabled', 'the user has turned off partner activity in Tandem')
    }
    const now = clock.now()
    const id = newId()
    await insertActivityItem(trx, {
      id,
      userId,
      clientId: caller.clientId,
      kind: input.kind,
      title: {
        id: input.title.id,
        name: input.title.name,
        imageUrl: input.title.imageUrl ?? null,
        url: input.title.url,
      },
      createdAt: now,
      expiresAt: new Date(now.getTime() + ACTIVITY_TTL_MS),
    })
    await deleteActivityBeyond(trx, userId, id, ACTIVITY_KEEP - 1, now)
    await appendLedgerEntry(trx, clock, {
      userId,
      clientId: caller.clientId,
      scope: 'activity.publish',
      action: 'activity.published',
      objectCount: 1,
      purpose: 'show friends what you watch',
      details: { kind: input.kind },
    })
    return { id }
  })
}

/** The user's live activity, for the user and their friends; anyone else learns nothing (404). */
export async function listUserActivity(db: Db, clock: Clock, actor: Actor, username: string) {
  const owner = await findUserByUsername(db, username)
  if (!owner || (owner.id !== actor.userId && !(await areFriends(db, actor.userId, owner.id)))) {
    throw notFound('user')
  }
  if (!owner.partner_activity_enabled) return []
  return selectVisibleActivity(db, owner.id, clock.now(), ACTIVITY_KEEP)
}

/** The owner deletes an item; it is gone for everyone. Other people's items are not found. */
export async function deleteActivity(db: Db, clock: Clock, actor: Actor, id: string): Promise<void> {
  if (!isUuid(id) || (await markActivityDeleted(db, actor.userId, id, clock.now())) === 0) {
    throw notFound('activity')
  }
}
