import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { addRoute } from '../../lib/http/routes.ts'
import { actorOf, loadActor, sessionGuards } from '../accounts/session.ts'
import type { MarqueeContext } from '../context.ts'
import {
  HistoryParams,
  HistoryResponse,
  ListTitlesQuery,
  ProgressBody,
  RowSchema,
  SearchQuery,
  TitleIdParams,
  TitleListResponse,
  TitlePageResponse,
  WatchResponse,
} from './catalog.schemas.ts'
import { browseRows, getTitle, listGenres, listTitles, searchTitles, titlePage } from './catalog.service.ts'
import { renderPoster } from './poster.ts'
import {
  deleteHistoryItem,
  listHistory,
  notifyWatchListeners,
  playTitle,
  recordProgress,
  type WatchResult,
} from './watch.service.ts'

const tags = ['catalog']

export function registerCatalogRoutes(app: FastifyInstance, ctx: MarqueeContext): void {
  const { requireSession } = sessionGuards(ctx)

  /** The logged-in viewer (if any) with their friends on Marquee, as far as `ctx.friendsOf` knows them. */
  const optionalViewer = async (req: FastifyRequest) => {
    const viewer = await loadActor(ctx, req)
    if (!viewer) return undefined
    return { userId: viewer.userId, friendIds: await friendIdsOf(viewer.userId) }
  }

  /** Friends come from Tandem: when it cannot say, the pages go on without them. */
  const friendIdsOf = async (userId: string): Promise<string[]> => {
    if (!ctx.friendsOf) return []
    try {
      return await ctx.friendsOf(userId)
    } catch (err) {
      ctx.log?.warn({ err }, 'friends unavailable for recommendations')
      return []
    }
  }

  /** Listeners run after the transaction committed, so they never see a change that rolled back. */
  const afterCommit = async (result: WatchResult) => {
    if (result.event) await notifyWatchListeners(ctx.watchListeners, result.event, ctx.log)
    return { watch: result.watch }
  }

  addRoute(
    app,
    'GET',
    '/api/browse',
    {
      summary: 'Browse rows: continue watching, because you watched, friends, then one row per genre',
      description: 'Works logged out (genre rows only).',
      tags,
      response: { 200: z.object({ rows: z.array(RowSchema) }) },
    },
    async (req) => ({ rows: await browseRows(ctx.db, await optionalViewer(req)) }),
  )

  addRoute(
    app,
    'GET',
    '/api/titles',
    {
      summary: 'The catalogue, newest first, optionally one genre; pages follow nextCursor',
      tags,
      query: ListTitlesQuery,
      response: { 200: TitleListResponse.extend({ nextCursor: z.string().nullable() }) },
    },
    async (req) => listTitles(ctx.db, req.query),
  )

  addRoute(
    app,
    'GET',
    '/api/search',
    {
      summary: 'Titles whose name, synopsis or genres contain every word of q, best name matches first',
      tags,
      query: SearchQuery,
      response: { 200: TitleListResponse },
    },
    async (req) => ({ titles: await searchTitles(ctx.db, req.query.q) }),
  )

  addRoute(
    app,
    'GET',
    '/api/genres',
    {
      summary: 'The genres, with how many titles each has',
      tags,
      response: {
        200: z.object({ genres: z.array(z.object({ id: z.string(), name: z.string(), count: z.number() })) }),
      },
    },
    async () => ({ genres: await listGenres(ctx.db) }),
  )

  addRoute(
    app,
    'GET',
    '/api/titles/:id',
    {
      summary: 'A title page: the title, titles watched by the same people, and what friends watched',
      description:
        'becauseYouWatched: co-watch neighbours (cosine over viewer sets), topped up by shared genres. ' +
        'friendsMightLike: titles watched by friends who share their history; empty until friends are known.',
      tags,
      params: TitleIdParams,
      response: { 200: TitlePageResponse },
    },
    async (req) => titlePage(ctx.db, req.params.id, await optionalViewer(req)),
  )

  addRoute(
    app,
    'POST',
    '/api/titles/:id/play',
    {
      summary: 'Start or resume a title; a start (first play or a rewatch) notifies the watch listeners',
      tags,
      preHandler: requireSession,
      params: TitleIdParams,
      response: { 200: WatchResponse },
    },
    async (req) => afterCommit(await playTitle(ctx.db, actorOf(req).userId, req.params.id, ctx.clock.now())),
  )

  addRoute(
    app,
    'POST',
    '/api/titles/:id/progress',
    {
      summary: 'Report the playback position; at 95% of the runtime the title is finished, once',
      tags,
      preHandler: requireSession,
      params: TitleIdParams,
      body: ProgressBody,
      response: { 200: WatchResponse },
    },
    async (req) =>
      afterCommit(
        await recordProgress(
          ctx.db,
          actorOf(req).userId,
          req.params.id,
          req.body.positionSeconds,
          ctx.clock.now(),
        ),
      ),
  )

  addRoute(
    app,
    'GET',
    '/api/history',
    {
      summary: 'What I watched, most recent first',
      tags,
      preHandler: requireSession,
      response: { 200: HistoryResponse },
    },
    async (req) => ({ history: await listHistory(ctx.db, actorOf(req).userId) }),
  )

  addRoute(
    app,
    'DELETE',
    '/api/history/:titleId',
    {
      summary: 'Forget one title from my history (and from my recommendations)',
      tags,
      preHandler: requireSession,
      params: HistoryParams,
    },
    async (req, reply) => {
      await deleteHistoryItem(ctx.db, actorOf(req).userId, req.params.titleId)
      return reply.code(204).send()
    },
  )

  addRoute(
    app,
    'GET',
    '/posters/:id.svg',
    {
      summary: 'The generated poster of a title (SVG, cacheable for a year: the URL carries a version)',
      tags,
      params: TitleIdParams,
    },
    async (req, reply) => {
      const title = await getTitle(ctx.db, req.params.id)
      const svg = renderPoster(title)
      const etag = `"${createHash('sha256').update(svg).digest('base64url').slice(0, 22)}"`
      reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('etag', etag)
        .header('x-content-type-options', 'nosniff')
        // Opened directly, an SVG is a document: nothing in it may run or load.
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      if (req.headers['if-none-match'] === etag) return reply.code(304).send()
      return reply.type('image/svg+xml; charset=utf-8').send(svg)
    },
  )
}
