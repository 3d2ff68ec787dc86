import { sql } from 'kysely'
import type { Logger } from 'pino'
import { AppError } from '../../lib/errors.ts'
import type { WatchEvent, WatchListener } from '../context.ts'
import type { Db } from '../db.ts'
import { presentTitle, presentWatch, TITLE_COLUMNS, type WatchRow } from './catalog.presenter.ts'
import { getTitle } from './catalog.service.ts'

/** A title is finished once the position reaches this share of its runtime (credits are skipped). */
export const FINISHED_SHARE = 0.95

export const finishedAtSeconds = (runtimeMinutes: number) => Math.ceil(runtimeMinutes * 60 * FINISHED_SHARE)

export interface WatchResult {
  watch: ReturnType<typeof presentWatch>
  /** The transition to tell the watch listeners about, after commit. */
  event: WatchEvent | undefined
}

/**
 * Starts or resumes a title. A first play, or a play after the title was finished (a rewatch, from the
 * beginning), is a start and yields a 'watching' event; resuming an unfinished watch does not.
 */
export async function playTitle(db: Db, userId: string, titleId: string, now: Date): Promise<WatchResult> {
  return db.transaction().execute(async (trx) => {
    const title = await getTitle(trx, titleId)
    const inserted = await trx
      .insertInto('watch_history')
      .values({ user_id: userId, title_id: titleId, position_seconds: 0, started_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['user_id', 'title_id']).doNothing())
      .returningAll()
      .executeTakeFirst()
    if (inserted) {
      const event = { userId, titleId, kind: 'watching' as const, at: now }
      return { watch: presentWatch(inserted, title.runtime_minutes), event }
    }
    // Locked so a concurrent play or progress decides its transition after this one, never alongside it.
    const row = await lockWatch(trx, userId, titleId)
    const started = row.finished_at !== null
    const updated = await trx
      .updateTable('watch_history')
      .set(
        started
          ? { position_seconds: 0, started_at: now, updated_at: now, finished_at: null }
          : { updated_at: now },
      )
      .where('user_id', '=', userId)
      .where('title_id', '=', titleId)
      .returningAll()
      .executeTakeFirstOrThrow()
    return {
      watch: presentWatch(updated, title.runtime_minutes),
      event: started ? { userId, titleId, kind: 'watching' as const, at: now } : undefined,
    }
  })
}

/**
 * Records the playback position (clamped to the runtime). Reaching FINISHED_SHARE of the runtime
 * finishes the title once: the first report past it yields a 'finished' event, later ones do not.
 */
export async function recordProgress(
  db: Db,
  userId: string,
  titleId: string,
  positionSeconds: number,
  now: Date,
): Promise<WatchResult> {
  return db.transaction().execute(async (trx) => {
    const title = await getTitle(trx, titleId)
    const row = await trx
      .selectFrom('watch_history')
      .selectAll()
      .where('user_id', '=', userId)
      .where('title_id', '=', titleId)
      .forUpdate()
      .executeTakeFirst()
    if (!row) throw new AppError(409, 'not_playing', 'play the title before reporting progress')
    const position = Math.min(positionSeconds, title.runtime_minutes * 60)
    const finishes = row.finished_at === null && position >= finishedAtSeconds(title.runtime_minutes)
    const updated = await trx
      .updateTable('watch_history')
      .set({ position_seconds: position, updated_at: now, ...(finishes && { finished_at: now }) })
      .where('user_id', '=', userId)
      .where('title_id', '=', titleId)
      .returningAll()
      .executeTakeFirstOrThrow()
    return {
      watch: presentWatch(updated, title.runtime_minutes),
      event: finishes ? { userId, titleId, kind: 'finished' as const, at: now } : undefined,
    }
  })
}

function lockWatch(db: Db, userId: string, titleId: string): Promise<WatchRow> {
  return db
    .selectFrom('watch_history')
    .selectAll()
    .where('user_id', '=', userId)
    .where('title_id', '=', titleId)
    .forUpdate()
    .executeTakeFirstOrThrow()
}

/**
 * Tells every listener, after the change committed. A listener that fails is logged and otherwise
 * ignored: watch activity elsewhere must never fail or undo playback.
 */
export async function notifyWatchListeners(
  listeners: WatchListener[],
  event: WatchEvent,
  log: Logger | undefined,
): Promise<void> {
  await Promise.all(
    listeners.map(async (listener) => {
      try {
        await listener(event)
      } catch (err) {
        log?.warn({ err, titleId: event.titleId, kind: event.kind }, 'watch listener failed')
      }
    }),
  )
}

/** The user's history, most recently watched first. */
export async function listHistory(db: Db, userId: string) {
  const rows = await db
    .selectFrom('watch_history as w')
    .innerJoin('titles as t', 't.id', 'w.title_id')
    .selectAll('w')
    .select(TITLE_COLUMNS.map((c) => `t.${c}` as const))
    .where('w.user_id', '=', userId)
    .orderBy('w.updated_at', 'desc')
    .orderBy(sql`w.title_id collate "C"`)
    .limit(500)
    .execute()
  return rows.map((r) => ({ title: presentTitle(r), watch: presentWatch(r, r.runtime_minutes) }))
}

/** Forgets one title from the user's history (and so from their recommendations); idempotent. */
export async function deleteHistoryItem(db: Db, userId: string, titleId: string): Promise<void> {
  await getTitle(db, titleId)
  await db.deleteFrom('watch_history').where('user_id', '=', userId).where('title_id', '=', titleId).execute()
}
