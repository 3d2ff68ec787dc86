import type { createApiClient } from './api-client.ts'

type Request = ReturnType<typeof createApiClient>['request']

/** `template` with its `:id` replaced by `id`, encoded. */
export const path = (template: string, id: string) => template.replace(':id', encodeURIComponent(id))

/** A query string of the defined params (`?a=1&b=2`), or '' when there are none. */
export const query = (params: Record<string, string | number | undefined>) => {
  const pairs = Object.entries(params).filter((p): p is [string, string | number] => p[1] !== undefined)
  return pairs.length > 0 ? `?${new URLSearchParams(pairs.map(([k, v]) => [k, String(v)]))}` : ''
}

/** The account calls both servers answer alike; a 401 from them is an answer, not a lost session. */
export function accountEndpoints<Me>(request: Request) {
  return {
    me: () => request<{ user: Me }>('GET', '/api/me', { expectUnauthenticated: true }),
    signUp: (body: { username: string; displayName: string; password: string }) =>
      request<{ user: Me }>('POST', '/api/signup', { body, expectUnauthenticated: true }),
    logIn: (body: { username: string; password: string }) =>
      request<{ user: Me }>('POST', '/api/login', { body, expectUnauthenticated: true }),
    logOut: () => request<void>('POST', '/api/logout', { expectUnauthenticated: true }),
  }
}
