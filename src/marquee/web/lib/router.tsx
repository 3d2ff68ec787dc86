import { usePathname } from '../../../lib/web/router.tsx'

export { Link, navigate, useSearch } from '../../../lib/web/router.tsx'

export type Route =
  | { name: 'browse' }
  | { name: 'search' }
  | { name: 'genres' }
  | { name: 'genre'; genre: string }
  | { name: 'title'; titleId: string }
  | { name: 'watch'; titleId: string }
  | { name: 'history' }
  | { name: 'settings' }
  | { name: 'login' }
  | { name: 'signup' }
  | { name: 'not-found' }

export const paths = {
  browse: '/',
  search: (q?: string) => (q ? `/search?q=${encodeURIComponent(q)}` : '/search'),
  genres: '/genres',
  genre: (genre: string) => `/genres/${encodeURIComponent(genre)}`,
  title: (id: string) => `/titles/${encodeURIComponent(id)}`,
  watch: (id: string) => `/watch/${encodeURIComponent(id)}`,
  history: '/history',
  settings: '/settings',
  login: '/login',
  signup: '/signup',
}

export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/'
  if (path === '/' || path === '/browse') return { name: 'browse' }
  if (path === '/search') return { name: 'search' }
  if (path === paths.genres) return { name: 'genres' }
  const genre = /^\/genres\/([^/]+)$/.exec(path)
  if (genre) return { name: 'genre', genre: decodeURIComponent(genre[1]!) }
  const title = /^\/titles\/([^/]+)$/.exec(path)
  if (title) return { name: 'title', titleId: decodeURIComponent(title[1]!) }
  const watch = /^\/watch\/([^/]+)$/.exec(path)
  if (watch) return { name: 'watch', titleId: decodeURIComponent(watch[1]!) }
  if (path === paths.history) return { name: 'history' }
  if (path === paths.settings) return { name: 'settings' }
  if (path === paths.login) return { name: 'login' }
  if (path === paths.signup) return { name: 'signup' }
  return { name: 'not-found' }
}

export function useRoute(): Route {
  return matchRoute(usePathname())
}
