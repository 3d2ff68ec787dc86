import type { MarqueeContext } from '../context.ts'
import type { Db } from '../db.ts'

/** How long one answer of Tandem's Friends API serves "friends who might like this" (each call is in the user's ledger). */
const FRIENDS_TTL_MS = 5 * 60_000

/**
 * `ctx.friendsOf`: the Marquee users among this user's Tandem friends who use Marquee. Tandem names them
 * by app-scoped id, which is the subject each of them connected with, so they are matched on that; only
 * with `friends.app` granted, and nothing is kept beyond a short cache in memory.
 */
export function createFriendsOf(ctx: MarqueeContext) {
  const cache = new Map<string, { at: number; ids: string[] }>()
  return async (userId: string): Promise<string[]> => {
    const now = ctx.clock.now().getTime()
    const hit = cache.get(userId)
    if (hit && now - hit.at < FRIENDS_TTL_MS) return hit.ids
    const link = await ctx.tandem.clientFor(userId)
    if (!link?.scopes.includes('friends.app')) return []
    const friends = await link.client.friends()
    const subjects = (friends.appFriends ?? []).map((f) => f.id)
    const ids = subjects.length ? await usersBySubject(ctx.db, subjects) : []
    if (cache.size > 10_000) cache.clear()
    cache.set(userId, { at: now, ids })
    return ids
  }
}

async function usersBySubject(db: Db, subjects: string[]): Promise<string[]> {
  const rows = await db
    .selectFrom('tandem_connections')
    .select('user_id')
    .where('subject', 'in', subjects)
    .execute()
  return rows.map((r) => r.user_id)
}

/**
 * What the sharing module holds from Tandem for a sender: the app-scoped ids and suggestion handles of
 * its Tandem recipients (and the stored answers that repeat them). Cleared when the connection is forgotten;
 * the sends themselves stay, anonymous, for the counts Marquee reports.
 */
export async function forgetSharedRecipients(trx: Db, userId: string): Promise<void> {
  await trx
    .updateTable('shares')
    .set({ recipient: null })
    .where('sender_id', '=', userId)
    .where('recipient_type', '=', 'tandem')
    .execute()
  await trx.deleteFrom('share_requests').where('user_id', '=', userId).execute()
}
