import { z } from 'zod'
import { GENRE_IDS } from './catalog.data.ts'

/** Any string names a title; one that is not in the catalogue is a 404, not a validation error. */
export const TitleIdParams = z.object({ id: z.string().min(1).max(200) })
export const HistoryParams = z.object({ titleId: z.string().min(1).max(200) })

export const ListTitlesQuery = z.object({
  genre: z.enum(GENRE_IDS).optional(),
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(24),
})

export const SearchQuery = z.object({ q: z.string().max(100).default('') })

export const ProgressBody = z.object({ positionSeconds: z.number().int().min(0).max(10_000_000) }).strict()

export const TitleSchema = z.object({
  id: z.string(),
  name: z.string(),
  year: z.number().int(),
  runtimeMinutes: z.number().int(),
  genres: z.array(z.string()),
  synopsis: z.string(),
  posterUrl: z.string(),
})

export const WatchSchema = z.object({
  titleId: z.string(),
  positionSeconds: z.number().int(),
  runtimeSeconds: z.number().int(),
  startedAt: z.string(),
  updatedAt: z.string(),
  finished: z.boolean(),
  finishedAt: z.string().nullable(),
})

export const TitleDetailSchema = TitleSchema.extend({
  kind: z.enum(['film', 'series']),
  seasons: z.number().int().nullable(),
  genreNames: z.array(z.string()),
  /** The viewer's watch of this title, when logged in and started. */
  watch: WatchSchema.nullable(),
})

export const RowSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['continue', 'because_you_watched', 'friends', 'genre']),
  titles: z.array(TitleSchema),
})

export const TitleListResponse = z.object({ titles: z.array(TitleSchema) })
export const TitlePageResponse = z.object({
  title: TitleDetailSchema,
  becauseYouWatched: z.array(TitleSchema),
  friendsMightLike: z.array(TitleSchema),
})
export const WatchResponse = z.object({ watch: WatchSchema })
export const HistoryResponse = z.object({
  history: z.array(z.object({ title: TitleSchema, watch: WatchSchema })),
})
