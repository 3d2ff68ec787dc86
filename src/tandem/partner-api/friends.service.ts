import { createHash, randomBytes, randomInt } from 'node:crypto'
import type { Clock } from '../../lib/clock.ts'
import type { Db } from '../db.ts'
import { appendLedgerEntry } from '../ledger/ledger.service.ts'
import { appScopedId } from '../oauth/subjects.ts'

export const HANDLE_TTL_MS = 24 * 3_600_000

/** Handles are bearer values: only their hash is stored. */
export const hashHandle = (handle: string) => createHash('sha256').update(handle).digest('hex')

/** 256 random bits, base64url, with a prefix that tells handles from app-scoped ids. */
const newHandle = () => `h_${randomBytes(32).toString('base64url')}`

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1)
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

export interface FriendsCaller {
  clientId: string
  userId: string
  scopes: Set<string>
}

/**
 * The caller's friends as this partner may see them (privacy rule 2): friends who granted this partner
 * by their app-scoped id, and friends who did not but allow suggestions as fresh single-use handles.
 * Each part only when `parts` asks for it; one ledger entry for the caller, in the same transaction.
 */
export async function listPartnerFriends(
  db: Db,
  clock: Clock,
  salt: string,
  caller: FriendsCaller,
  parts: { app: boolean; suggest: boolean },
) {
  return db.transaction().execute(async (trx) => {
    const now = clock.now()
    const friends = await trx
      .selectFrom('friendships')
      .innerJoin('users', 'users.id', 'friendships.friend_id')
      .select(['users.id', 'users.display_name', 'users.allow_suggestions'])
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('partner_grants')
              .select('partner_grants.grant_id')
              .whereRef('partner_grants.user_id', '=', 'users.id')
              .where('partner_grants.client_id', '=', caller.clientId)
              .where('partner_grants.revoked_at', 'is', null),
          )
          .as('uses_partner'),
      )
      .where('friendships.user_id', '=', caller.userId)
      .orderBy('users.display_name')
      .execute()

    const appFriends = parts.app
      ? friends
          .filter((f) => f.uses_partner)
          .map((f) => ({
            id: appScopedId(salt, caller.clientId, f.id),
            name: f.display_name,
            avatarUrl: null,
          }))
      : undefined

    let suggestions: { handle: string; name: string; avatarUrl: null; expiresAt: string }[] | undefined
    if (parts.suggest) {
      const expiresAt = new Date(now.getTime() + HANDLE_TTL_MS)
      // Shuffled, then sorted by name (stable): even friends with the same name come in no order
      // that links their handles across calls.
      const issued = shuffle(friends.filter((f) => !f.uses_partner && f.allow_suggestions))
        .sort((a, b) => (a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : 0))
        .map((f) => ({ friendId: f.id, name: f.display_name, handle: newHandle() }))
      if (issued.length > 0) {
        await trx
          .insertInto('suggestion_handles')
          .values(
            issued.map((s) => ({
              handle_hash: hashHandle(s.handle),
              client_id: caller.clientId,
              issued_for: caller.userId,
              friend_id: s.friendId,
              created_at: now,
              expires_at: expiresAt,
            })),
          )
          .execute()
      }
      suggestions = issued.map((s) => ({
        handle: s.handle,
        name: s.name,
        avatarUrl: null,
        expiresAt: expiresAt.toISOString(),
      }))
    }

    const scope = [parts.app ? 'friends.app' : '', parts.suggest ? 'friends.suggest' : '']
      .filter(Boolean)
      .join(' ')
    await appendLedgerEntry(trx, clock, {
      userId: caller.userId,
      clientId: caller.clientId,
      scope,
      action: 'friends.read',
      objectCount: (appFriends?.length ?? 0) + (suggestions?.length ?? 0),
      purpose: 'show friends to share with',
      details: { appFriends: appFriends?.length ?? 0, suggestions: suggestions?.length ?? 0 },
    })
    return {
      ...(appFriends ? { appFriends } : {}),
      ...(suggestions ? { suggestions } : {}),
    }
  })
}
