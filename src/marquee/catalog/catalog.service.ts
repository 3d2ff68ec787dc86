import { sql } from 'kysely'
import { AppError, notFound } from '../../lib/errors.ts'
import type { Db } from '../db.ts'
import { GENRES, type GenreId } from './catalog.data.ts'
import {
  type PresentedTitle,
  presentTitle,
  presentTitleDetail,
  TITLE_COLUMNS,
  type TitleRow,
} from './catalog.presenter.ts'
import { becauseYouWatched, friendsMightLike } from './recommendations.ts'

export const findTitle = (db: Db, id: string): Promise<TitleRow | undefined> =>
  db.selectFrom('titles').select(TITLE_COLUMNS).where('id', '=', id).executeTakeFirst()

export async function getTitle(db: Db, id: string): Promise<TitleRow> {
  const title = await findTitle(db, id)
  if (!title) throw notFound('title')
  return title
}

const encodeCursor = (t: { year: number; id: string }) =>
  Buffer.from(`${t.year}|${t.id}`).toString('base64url')

function decodeCursor(cursor: string): { year: number; id: string } {
  const [year, id, extra] = Buffer.from(cursor, 'base64url').toString().split('|')
  if (extra !== undefined || !year || !/^\d{4}$/.test(year) || !id || !/^[a-z0-9-]{1,200}$/.test(id)) {
    throw new AppError(400, 'invalid_cursor', 'the cursor is not valid')
  }
  return { year: Number(year), id }
}

/** The catalogue newest first (then by id), optionally one genre, in pages joined by an opaque cursor. */
export async function listTitles(
  db: Db,
  input: { genre?: GenreId | undefined; cursor?: string | undefined; limit: number },
): Promise<{ titles: PresentedTitle[]; nextCursor: string | null }> {
  const after = input.cursor ? decodeCursor(input.cursor) : undefined
  const rows = await db
    .selectFrom('titles')
    .select(TITLE_COLUMNS)
    .$if(input.genre !== undefined, (q) => q.where(sql<boolean>`genres @> array[${input.genre}]::text[]`))
    .$if(after !== undefined, (q) =>
      q.where(
        sql<boolean>`(year < ${after!.year} or (year = ${after!.year} and id collate "C" > ${after!.id}))`,
      ),
    )
    .orderBy('year', 'desc')
    .orderBy(sql`id collate "C"`)
    .limit(input.limit + 1)
    .execute()
  const page = rows.slice(0, input.limit)
  const last = page[page.length - 1]
  return {
    titles: page.map(presentTitle),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null,
  }
}

const likePattern = (word: string) => `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/**
 * Titles whose name, synopsis, genres or year contain every word of the query (case-insensitive), names
 * that match best first: the exact name, then names starting with the query, then names with it.
 */
export async function searchTitles(db: Db, q: string): Promise<PresentedTitle[]> {
  const query = q.trim().toLowerCase().replace(/\s+/g, ' ')
  const words = query.split(' ').filter(Boolean).slice(0, 10)
  if (words.length === 0) return []
  const haystack = sql`lower(name || ' ' || synopsis || ' ' || array_to_string(genres, ' ') || ' ' || year)`
  let select = db.selectFrom('titles').select(TITLE_COLUMNS)
  for (const word of words)
    select = select.where(sql<boolean>`${haystack} like ${likePattern(word)} escape '\\'`)
  const rows = await select
    .orderBy(
      sql`case when lower(name) = ${query} then 0
               when lower(name) like ${`${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\' then 1
               when lower(name) like ${likePattern(query)} escape '\\' then 2
               else 3 end`,
    )
    .orderBy('year', 'desc')
    .orderBy(sql`id collate "C"`)
    .limit(40)
    .execute()
  return rows.map(presentTitle)
}

/** Every genre of the fixed list, in its order, with how many titles carry it. */
export async function listGenres(db: Db) {
  const counts = await db
    .selectFrom(sql<{ genre: string }>`(select unnest(genres) as genre from titles)`.as('g'))
    .select(['g.genre', sql<number>`count(*)::int`.as('count')])
    .groupBy('g.genre')
    .execute()
  const byGenre = new Map(counts.map((c) => [c.genre, Number(c.count)]))
  return GENRES.map((g) => ({ id: g.id, name: g.name, count: byGenre.get(g.id) ?? 0 }))
}

const ROW_SIZE = 12

export interface BrowseRow {
  id: string
  name: string
  kind: 'continue' | 'because_you_watched' | 'friends' | 'genre'
  titles: PresentedTitle[]
}

/**
 * The browse page: for a logged-in viewer, what they are in the middle of, "because you watched" for
 * their two latest titles and what friends watched; then one row per genre, most watched first.
 */
export async function browseRows(
  db: Db,
  viewer: { userId: string; friendIds: string[] } | undefined,
): Promise<BrowseRow[]> {
  const [personal, genres] = await Promise.all([viewer ? personalRows(db, viewer) : [], genreRows(db)])
  return [...personal, ...genres]
}

async function personalRows(db: Db, viewer: { userId: string; friendIds: string[] }): Promise<BrowseRow[]> {
  const recent = await db
    .selectFrom('watch_history as w')
    .innerJoin('titles as t', 't.id', 'w.title_id')
    .select(TITLE_COLUMNS.map((c) => `t.${c}` as const))
    .select('w.finished_at')
    .where('w.user_id', '=', viewer.userId)
    .orderBy('w.updated_at', 'desc')
    .orderBy(sql`t.id collate "C"`)
    .limit(50)
    .execute()
  const seeds = recent.slice(0, 2)
  const [similar, friends] = await Promise.all([
    Promise.all(
      seeds.map((seed) => becauseYouWatched(db, seed.id, { excludeUserId: viewer.userId, limit: ROW_SIZE })),
    ),
    friendsMightLike(db, viewer.userId, viewer.friendIds, { limit: ROW_SIZE }),
  ])
  const rows: BrowseRow[] = []
  const watching = recent.filter((r) => r.finished_at === null).slice(0, ROW_SIZE)
  if (watching.length > 0) {
    rows.push({
      id: 'continue',
      name: 'Continue watching',
      kind: 'continue',
      titles: watching.map(presentTitle),
    })
  }
  seeds.forEach((seed, i) => {
    const titles = similar[i] ?? []
    if (titles.length > 0) {
      rows.push({
        id: `because_you_watched:${seed.id}`,
        name: `Because you watched ${seed.name}`,
        kind: 'because_you_watched',
        titles: titles.map(presentTitle),
      })
    }
  })
  if (friends.length > 0) {
    rows.push({
      id: 'friends',
      name: 'Watched by your friends',
      kind: 'friends',
      titles: friends.map(presentTitle),
    })
  }
  return rows
}

/** One row per genre, in the fixed order: the most watched titles first, then the newest. */
async function genreRows(db: Db): Promise<BrowseRow[]> {
  const ranked = await sql<TitleRow & { genre: string }>`
    select * from (
      select t.id, t.name, t.year, t.runtime_minutes, t.genres, t.synopsis, t.kind, t.seasons, g.genre,
             row_number() over (
               partition by g.genre
               order by coalesce(v.viewers, 0) desc, t.year desc, t.id collate "C"
             ) as rank
      from titles t
      cross join lateral unnest(t.genres) as g(genre)
      left join (select title_id, count(*) as viewers from watch_history group by title_id) v
        on v.title_id = t.id
    ) ranked
    where rank <= ${ROW_SIZE}
    order by genre, rank
  `.execute(db)
  return GENRES.flatMap((genre) => {
    const titles = ranked.rows.filter((r) => r.genre === genre.id)
    return titles.length > 0
      ? [
          {
            id: `genre:${genre.id}`,
            name: genre.name,
            kind: 'genre' as const,
            titles: titles.map(presentTitle),
          },
        ]
      : []
  })
}

/** A title page: the title (with the viewer's watch), its co-watch neighbours and friends' picks. */
export async function titlePage(
  db: Db,
  titleId: string,
  viewer: { userId: string; friendIds: string[] } | undefined,
) {
  const title = await getTitle(db, titleId)
  const [watch, similar, friends] = await Promise.all([
    viewer
      ? db
          .selectFrom('watch_history')
          .selectAll()
          .where('user_id', '=', viewer.userId)
          .where('title_id', '=', titleId)
          .executeTakeFirst()
      : undefined,
    becauseYouWatched(db, titleId, { excludeUserId: viewer?.userId, limit: ROW_SIZE }),
    viewer
      ? friendsMightLike(db, viewer.userId, viewer.friendIds, { excludeTitleId: titleId, limit: ROW_SIZE })
      : [],
  ])
  return {
    title: presentTitleDetail(title, watch),
    becauseYouWatched: similar.map(presentTitle),
    friendsMightLike: friends.map(presentTitle),
  }
}
