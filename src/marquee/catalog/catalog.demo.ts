import { sql } from 'kysely'
import type { Clock } from '../../lib/clock.ts'
import { newId } from '../../lib/ids.ts'
import type { Db } from '../db.ts'
import { type CatalogTitle, GENRES, type GenreId, generateCatalog, seededRandom } from './catalog.data.ts'
import { finishedAtSeconds } from './watch.service.ts'

export const SYNTHETIC_VIEWERS = 40
const DAY_MS = 86_400_000

/** Tastes of the demo people: their favourite genres, most loved first. */
const DEMO_TASTES: Record<'ana' | 'ben' | 'cleo', GenreId[]> = {
  ana: ['science-fiction', 'mystery', 'thriller'],
  ben: ['comedy', 'animation', 'family'],
  cleo: ['drama', 'romance', 'documentary'],
}

/** Synthetic viewers come in taste groups, so co-watch similarity finds the structure it should. */
const TASTE_GROUPS: GenreId[][] = [
  ['science-fiction', 'mystery', 'thriller'],
  ['comedy', 'animation', 'family'],
  ['drama', 'romance', 'documentary'],
  ['crime', 'thriller', 'mystery'],
  ['fantasy', 'adventure', 'animation'],
  ['documentary', 'adventure', 'drama'],
  ['romance', 'comedy', 'drama'],
  ['family', 'adventure', 'fantasy'],
]

interface PlannedWatch {
  titleId: string
  startedAt: Date
  updatedAt: Date
  positionSeconds: number
  finishedAt: Date | null
}

/**
 * A plausible history for one viewer: mostly titles from their favourite genres (more from the first),
 * a few from elsewhere; most finished, some abandoned, the latest one or two still in progress.
 */
function planHistory(
  rng: () => number,
  catalog: CatalogTitle[],
  tastes: GenreId[],
  count: number,
  now: Date,
): PlannedWatch[] {
  const weight = (t: CatalogTitle, index: number) => {
    // Within a genre, earlier titles are more popular (a long tail), so people with a taste overlap.
    const popularity = 1 / (1 + 0.4 * Math.floor(index / GENRES.length))
    const rank = tastes.indexOf(t.genres[0]!)
    if (rank >= 0) return ([12, 6, 3][rank] ?? 2) * popularity
    return (t.genres.some((g) => tastes.includes(g)) ? 1.5 : 0.25) * popularity
  }
  const pool = catalog.map((t, i) => ({ t, w: weight(t, i) }))
  const chosen: CatalogTitle[] = []
  while (chosen.length < count && pool.length > 0) {
    const total = pool.reduce((sum, p) => sum + p.w, 0)
    let r = rng() * total
    const index = pool.findIndex((p) => {
      r -= p.w
      return r <= 0
    })
    const [picked] = pool.splice(index < 0 ? pool.length - 1 : index, 1)
    if (picked) chosen.push(picked.t)
  }
  // Spread over the last 60 days, oldest first, so the last ones are the most recent.
  const times = chosen
    .map(() => now.getTime() - Math.floor(rng() * 60 * DAY_MS) - 4 * 3_600_000)
    .sort((a, b) => a - b)
  return chosen.map((t, i) => {
    const runtime = t.runtimeMinutes * 60
    const startedAt = new Date(times[i]!)
    const inProgress = i >= chosen.length - 2 && rng() < 0.6
    const abandoned = !inProgress && rng() < 0.12
    if (inProgress || abandoned) {
      const position = Math.floor(runtime * (0.1 + rng() * 0.7))
      return {
        titleId: t.id,
        startedAt,
        updatedAt: new Date(times[i]! + position * 1000),
        positionSeconds: position,
        finishedAt: null,
      }
    }
    const position = Math.max(
      finishedAtSeconds(t.runtimeMinutes),
      Math.floor(runtime * (0.96 + rng() * 0.04)),
    )
    const finishedAt = new Date(times[i]! + position * 1000)
    return { titleId: t.id, startedAt, updatedAt: finishedAt, positionSeconds: position, finishedAt }
  })
}

/**
 * Demo watch histories: the demo people get histories that match their tastes, and SYNTHETIC_VIEWERS
 * viewers (accounts that cannot log in: their password hash verifies nothing) give co-watch
 * similarity something to learn from. Idempotent: existing rows are left as they are.
 */
export async function seedCatalogDemo(
  db: Db,
  clock: Clock,
  users: { ana: string; ben: string; cleo: string },
): Promise<{ viewers: number; watches: number }> {
  const catalog = generateCatalog()
  const rng = seededRandom(0x64656d6f) // "demo"
  const now = clock.now()
  const plans: Array<{ userId: string; watches: PlannedWatch[] }> = [
    { userId: users.ana, watches: planHistory(rng, catalog, DEMO_TASTES.ana, 9, now) },
    { userId: users.ben, watches: planHistory(rng, catalog, DEMO_TASTES.ben, 8, now) },
    { userId: users.cleo, watches: planHistory(rng, catalog, DEMO_TASTES.cleo, 8, now) },
  ]
  return db.transaction().execute(async (trx) => {
    for (let i = 1; i <= SYNTHETIC_VIEWERS; i++) {
      const username = `demo_viewer_${String(i).padStart(2, '0')}`
      const count = 10 + Math.floor(rng() * 16)
      const watches = planHistory(rng, catalog, TASTE_GROUPS[i % TASTE_GROUPS.length]!, count, now)
      await trx
        .insertInto('users')
        .values({
          id: newId(),
          username,
          display_name: `Demo viewer ${i}`,
          password_hash: '!synthetic viewer: no password',
          created_at: new Date(now.getTime() - 90 * DAY_MS),
        })
        .onConflict((oc) => oc.doNothing())
        .execute()
      const user = await trx
        .selectFrom('users')
        .select('id')
        .where(sql<string>`lower(username)`, '=', username)
        .executeTakeFirstOrThrow()
      plans.push({ userId: user.id, watches })
    }
    let inserted = 0
    for (const plan of plans) {
      if (plan.watches.length === 0) continue
      const result = await trx
        .insertInto('watch_history')
        .values(
          plan.watches.map((w) => ({
            user_id: plan.userId,
            title_id: w.titleId,
            position_seconds: w.positionSeconds,
            started_at: w.startedAt,
            updated_at: w.updatedAt,
            finished_at: w.finishedAt,
          })),
        )
        .onConflict((oc) => oc.columns(['user_id', 'title_id']).doNothing())
        .executeTakeFirst()
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0)
    }
    return { viewers: SYNTHETIC_VIEWERS, watches: inserted }
  })
}
