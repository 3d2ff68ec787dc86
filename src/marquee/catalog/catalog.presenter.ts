import type { Selectable } from 'kysely'
import type { TitlesTable, WatchHistoryTable } from '../db.ts'
import { genreName } from './catalog.data.ts'
import { posterPath } from './poster.ts'

export type TitleRow = Pick<
  Selectable<TitlesTable>,
  'id' | 'name' | 'year' | 'runtime_minutes' | 'genres' | 'synopsis' | 'kind' | 'seasons'
>
export type WatchRow = Selectable<WatchHistoryTable>

/** The columns presentTitle needs, for `select(TITLE_COLUMNS)`. */
export const TITLE_COLUMNS = [
  'id',
  'name',
  'year',
  'runtime_minutes',
  'genres',
  'synopsis',
  'kind',
  'seasons',
] as const

export const presentTitle = (t: TitleRow) => ({
  id: t.id,
  name: t.name,
  year: t.year,
  runtimeMinutes: t.runtime_minutes,
  genres: t.genres,
  synopsis: t.synopsis,
  posterUrl: posterPath(t.id),
})

export type PresentedTitle = ReturnType<typeof presentTitle>

export const presentWatch = (w: WatchRow, runtimeMinutes: number) => ({
  titleId: w.title_id,
  positionSeconds: w.position_seconds,
  runtimeSeconds: runtimeMinutes * 60,
  startedAt: w.started_at.toISOString(),
  updatedAt: w.updated_at.toISOString(),
  finished: w.finished_at !== null,
  finishedAt: w.finished_at?.toISOString() ?? null,
})

export type PresentedWatch = ReturnType<typeof presentWatch>

export const presentTitleDetail = (t: TitleRow, watch: WatchRow | undefined) => ({
  ...presentTitle(t),
  kind: t.kind,
  seasons: t.seasons,
  genreNames: t.genres.map(genreName),
  watch: watch ? presentWatch(watch, t.runtime_minutes) : null,
})
