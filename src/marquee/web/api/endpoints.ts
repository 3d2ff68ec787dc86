import { accountEndpoints, path, query } from '../../../lib/web/endpoints.ts'
import { newIdempotencyKey } from '../../../lib/web/ids.ts'
import { request } from './http.ts'
import type {
  BrowseRow,
  Genre,
  HistoryEntry,
  Me,
  ShareRequest,
  ShareResult,
  TandemFriends,
  TandemStatus,
  Title,
  TitleDetail,
  Watch,
} from './types.ts'

/** Where "Connect with Tandem" sends the browser; Marquee redirects on to Tandem's consent screen. */
export function tandemConnectUrl(returnTo: string, scopes?: string[]): string {
  return `/auth/tandem/start${query({ scopes: scopes?.join(' '), returnTo })}`
}

export const api = {
  ...accountEndpoints<Me>(request),
  updateMe: (body: { displayName?: string; shareHistoryWithFriends?: boolean }) =>
    request<{ user: Me }>('PATCH', '/api/me', { body }),

  browse: (signal?: AbortSignal) => request<{ rows: BrowseRow[] }>('GET', '/api/browse', { signal }),
  titles: (params: { genre?: string; cursor?: string; limit?: number }, signal?: AbortSignal) =>
    request<{ titles: Title[]; nextCursor: string | null }>('GET', `/api/titles${query(params)}`, {
      signal,
    }),
  search: (q: string, signal?: AbortSignal) =>
    request<{ titles: Title[] }>('GET', `/api/search${query({ q })}`, { signal }),
  title: (id: string, signal?: AbortSignal) =>
    request<{ title: TitleDetail; becauseYouWatched: Title[]; friendsMightLike: Title[] }>(
      'GET',
      path('/api/titles/:id', id),
      { signal },
    ),
  genres: (signal?: AbortSignal) => request<{ genres: Genre[] }>('GET', '/api/genres', { signal }),
  play: (id: string) => request<{ watch: Watch }>('POST', path('/api/titles/:id/play', id)),
  progress: (id: string, positionSeconds: number) =>
    request<{ watch: Watch }>('POST', path('/api/titles/:id/progress', id), {
      body: { positionSeconds: Math.round(positionSeconds) },
    }),
  history: (signal?: AbortSignal) => request<{ history: HistoryEntry[] }>('GET', '/api/history', { signal }),
  forget: (titleId: string) => request<void>('DELETE', path('/api/history/:id', titleId)),

  tandem: (signal?: AbortSignal) => request<{ tandem: TandemStatus }>('GET', '/api/tandem', { signal }),
  disconnectTandem: () => request<void>('DELETE', '/api/tandem'),
  tandemFriends: (signal?: AbortSignal) => request<TandemFriends>('GET', '/api/tandem/friends', { signal }),
  /** On without `activity.publish` granted answers 409 consent_required; Tandem's consent returns to `returnTo`. */
  setActivity: (enabled: boolean, returnTo?: string) =>
    request<{ activity: TandemStatus['activity'] }>('PUT', '/api/tandem/activity', {
      body: { enabled, ...(returnTo && { returnTo }) },
    }),

  experiments: () => request<{ assignments: Record<string, string> }>('GET', '/api/experiments'),
  share: (body: ShareRequest, idempotencyKey = newIdempotencyKey()) =>
    request<{ shares: ShareResult[] }>('POST', '/api/shares', {
      body,
      headers: { 'idempotency-key': idempotencyKey },
    }),
}
