import { sql } from 'kysely'
import type { Db } from '../db.ts'
import { TITLE_COLUMNS, type TitleRow } from './catalog.presenter.ts'

/**
 * A co-watch needs this many viewers in common before it counts: below it, a recommendation could
 * reveal what one other person watched.
 */
export const MIN_CO_VIEWERS = 2

export interface Neighbour {
  titleId: string
  score: number
  coViewers: number
}

/**
 * Item-to-item similarity over every viewer's history: the cosine of two titles' viewer sets,
 * |A ∩ B| / √(|A|·|B|), best first. Titles the excluded user has in their history are left out.
 */
export async function similarTitles(
  db: Db,
  titleId: string,
  options: { excludeUserId?: string | undefined; limit?: number } = {},
): Promise<Neighbour[]> {
  const exclude = options.excludeUserId
  const rows = await sql<{ title_id: string; co: number; score: number }>`
    with viewers as (select user_id from watch_history where title_id = ${titleId}),
         sizes as (select title_id, count(*)::float8 as n from watch_history group by title_id)
    select w.title_id, count(*)::int as co,
           count(*)::float8 / sqrt((select count(*)::float8 from viewers) * s.n) as score
    from watch_history w
    join viewers v on v.user_id = w.user_id
    join sizes s on s.title_id = w.title_id
    where w.title_id <> ${titleId}
      ${exclude ? sql`and w.title_id not in (select title_id from watch_history where user_id = ${exclude})` : sql``}
    group by w.title_id, s.n
    having count(*) >= ${MIN_CO_VIEWERS}
    order by score desc, co desc, w.title_id collate "C"
    limit ${options.limit ?? 12}
  `.execute(db)
  return rows.rows.map((r) => ({ titleId: r.title_id, score: Number(r.score), coViewers: Number(r.co) }))
}

/**
 * "Because you watched X": co-watch neighbours of X, topped up with titles sharing the most genres
 * with X when few people have watched it yet, so the row is never empty for a new catalogue.
 */
export async function becauseYouWatched(
  db: Db,
  titleId: string,
  options: { excludeUserId?: string | undefined; limit?: number } = {},
): Promise<TitleRow[]> {
  const limit = options.limit ?? 12
  const neighbours = await similarTitles(db, titleId, { ...options, limit })
  const ids = neighbours.map((n) => n.titleId)
  const byId = new Map(
    ids.length === 0
      ? []
      : (await db.selectFrom('titles').select(TITLE_COLUMNS).where('id', 'in', ids).execute()).map((t) => [
          t.id,
          t,
        ]),
  )
  const result = ids.map((id) => byId.get(id)).filter((t): t is TitleRow => t !== undefined)
  if (result.length >= limit) return result
  const exclude = options.excludeUserId
  const fill = await db
    .selectFrom('titles as t')
    .innerJoin('titles as x', (join) => join.on('x.id', '=', titleId))
    .select(TITLE_COLUMNS.map((c) => `t.${c}` as const))
    .where('t.id', '<>', titleId)
    .where(sql<boolean>`t.genres && x.genres`)
    .$if(ids.length > 0, (q) => q.where('t.id', 'not in', ids))
    .$if(exclude !== undefined, (q) =>
      q.where('t.id', 'not in', (sub) =>
        sub.selectFrom('watch_history').select('title_id').where('user_id', '=', exclude!),
      ),
    )
    .orderBy(sql`cardinality(array(select unnest(t.genres) intersect select unnest(x.genres)))`, 'desc')
    .orderBy(sql`abs(t.year - x.year)`)
    .orderBy(sql`t.id collate "C"`)
    .limit(limit - result.length)
    .execute()
  return [...result, ...fill]
}

/**
 * "Friends who might like this": titles in the histories of the given friends who chose to share
 * their history with friends, that the user has not watched, most friends first, then most recent.
 * Marquee does not know friendships itself: the caller passes friend ids (from Tandem, through
 * `ctx.friendsOf`); ids that are not Marquee users, or that are the user, are ignored.
 */
export async function friendsMightLike(
  db: Db,
  userId: string,
  friendUserIds: string[],
  options: { excludeTitleId?: string; limit?: number } = {},
): Promise<TitleRow[]> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
  const friends = [...new Set(friendUserIds)].filter((id) => uuid.test(id) && id !== userId).slice(0, 1000)
  if (friends.length === 0) return []
  return db
    .selectFrom('watch_history as w')
    .innerJoin('users as u', 'u.id', 'w.user_id')
    .innerJoin('titles as t', 't.id', 'w.title_id')
    .select(TITLE_COLUMNS.map((c) => `t.${c}` as const))
    .where('w.user_id', 'in', friends)
    .where('u.share_history_with_friends', '=', true)
    .where('w.title_id', 'not in', (sub) =>
      sub.selectFrom('watch_history').select('title_id').where('user_id', '=', userId),
    )
    .$if(options.excludeTitleId !== undefined, (q) => q.where('w.title_id', '<>', options.excludeTitleId!))
    .groupBy(TITLE_COLUMNS.map((c) => `t.${c}` as const))
    .orderBy(sql`count(*)`, 'desc')
    .orderBy(sql`max(w.updated_at)`, 'desc')
    .orderBy(sql`t.id collate "C"`)
    .limit(options.limit ?? 12)
    .execute()
}
