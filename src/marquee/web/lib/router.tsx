import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react'

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

const listeners = new Set<() => void>()
const notify = () => {
  for (const listener of listeners) listener()
}
window.addEventListener('popstate', notify)

function subscribe(listener: () => void) {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function navigate(to: string, options: { replace?: boolean; keepScroll?: boolean } = {}): void {
  if (to === `${location.pathname}${location.search}`) return
  if (options.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  if (!options.keepScroll) window.scrollTo(0, 0)
  notify()
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => location.pathname)
}

export function useSearch(): string {
  return useSyncExternalStore(subscribe, () => location.search)
}

export function useRoute(): Route {
  return matchRoute(usePathname())
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string }

/** An ordinary link that changes page without reloading; modified clicks keep the browser's behaviour. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event)
    if (event.defaultPrevented || event.button !== 0) return
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    navigate(to)
  }
  return <a href={to} onClick={handle} {...rest} />
}

/** A `?next=` path on this site to go to after logging in (the landing page of a shared link sets it). */
export function nextPath(search: string): string | null {
  const next = new URLSearchParams(search).get('next')
  const safe = next?.startsWith('/') && !next.startsWith('//') && !next.includes('\\') && next.length <= 500
  return safe ? next : null
}
