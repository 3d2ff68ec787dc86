import { usePathname } from '../../../lib/web/router.tsx'

export { Link, navigate } from '../../../lib/web/router.tsx'

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

export function useRoute(): Route {
  return matchRoute(usePathname())
}
