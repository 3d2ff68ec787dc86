import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react'

export type Route =
  | { name: 'inbox' }
  | { name: 'thread'; threadId: string }
  | { name: 'friends' }
  | { name: 'new-group' }
  | { name: 'settings' }
  | { name: 'profile'; username: string }
  | { name: 'connected-apps' }
  | { name: 'connected-app'; clientId: string }
  | { name: 'admin' }
  | { name: 'admin-new-partner' }
  | { name: 'admin-partner'; clientId: string }
  | { name: 'admin-report'; reportId: string }
  | { name: 'public-partner'; clientId: string }
  | { name: 'login' }
  | { name: 'signup' }
  | { name: 'not-found' }

export const paths = {
  inbox: '/',
  thread: (id: string) => `/t/${encodeURIComponent(id)}`,
  friends: '/friends',
  newGroup: '/groups/new',
  settings: '/settings',
  profile: (username: string) => `/u/${encodeURIComponent(username)}`,
  connectedApps: '/connected-apps',
  connectedApp: (clientId: string) => `/connected-apps/${encodeURIComponent(clientId)}`,
  admin: '/admin',
  adminNewPartner: '/admin/register',
  adminPartner: (clientId: string) => `/admin/partners/${encodeURIComponent(clientId)}`,
  adminReport: (id: string) => `/admin/reports/${encodeURIComponent(id)}`,
  publicPartner: (clientId: string) => `/partners/${encodeURIComponent(clientId)}`,
  login: '/login',
  signup: '/signup',
}

export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/'
  if (path === '/') return { name: 'inbox' }
  const thread = /^\/t\/([^/]+)$/.exec(path)
  if (thread) return { name: 'thread', threadId: decodeURIComponent(thread[1]!) }
  if (path === paths.friends) return { name: 'friends' }
  if (path === paths.newGroup) return { name: 'new-group' }
  if (path === paths.settings) return { name: 'settings' }
  const profile = /^\/u\/([^/]+)$/.exec(path)
  if (profile) return { name: 'profile', username: decodeURIComponent(profile[1]!) }
  if (path === paths.connectedApps) return { name: 'connected-apps' }
  const app = /^\/connected-apps\/([^/]+)$/.exec(path)
  if (app) return { name: 'connected-app', clientId: decodeURIComponent(app[1]!) }
  if (path === paths.admin) return { name: 'admin' }
  if (path === paths.adminNewPartner) return { name: 'admin-new-partner' }
  const partner = /^\/admin\/partners\/([^/]+)$/.exec(path)
  if (partner) return { name: 'admin-partner', clientId: decodeURIComponent(partner[1]!) }
  const report = /^\/admin\/reports\/([^/]+)$/.exec(path)
  if (report) return { name: 'admin-report', reportId: decodeURIComponent(report[1]!) }
  const publicPartner = /^\/partners\/([^/]+)$/.exec(path)
  if (publicPartner) return { name: 'public-partner', clientId: decodeURIComponent(publicPartner[1]!) }
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

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === `${location.pathname}${location.search}`) return
  if (options.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  window.scrollTo(0, 0)
  notify()
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => location.pathname)
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
