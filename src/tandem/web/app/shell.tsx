import { type RefObject, useEffect, useRef } from 'react'
import { AdminPage } from '../admin/admin-page.tsx'
import { AdminsOnly } from '../admin/admins-only.tsx'
import { PartnerPage } from '../admin/partner-page.tsx'
import { RegisterPartnerPage } from '../admin/register-partner-page.tsx'
import { ReportPage } from '../admin/report-page.tsx'
import { ConnectedAppPage } from '../connected-apps/connected-app-page.tsx'
import { ConnectedAppsPage } from '../connected-apps/connected-apps-page.tsx'
import { FriendsPage } from '../friends/friends-page.tsx'
import { NewGroupPage } from '../groups/new-group-page.tsx'
import { InboxPane } from '../inbox/inbox-pane.tsx'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths, type Route } from '../lib/router.tsx'
import { WIDE_QUERY } from '../lib/use-media.ts'
import { ProfilePage } from '../profile/profile-page.tsx'
import { SettingsPage } from '../settings/settings-page.tsx'
import { ThreadView } from '../thread/thread-view.tsx'
import { ConnectionBanner } from '../ui/connection-banner.tsx'
import { ChatIcon } from '../ui/icons.tsx'
import { TopBar } from './top-bar.tsx'

function NoThread() {
  usePageTitle('Chats')
  return (
    <div className="no-thread">
      <ChatIcon width={48} height={48} />
      <h1 tabIndex={-1}>Pick a conversation</h1>
      <p className="muted">
        Or <Link to={paths.friends}>find friends</Link> to start a new one.
      </p>
    </div>
  )
}

function NotFound() {
  usePageTitle('Not found')
  return (
    <div className="page-content">
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        <Link to={paths.inbox}>Go to your chats</Link>
      </p>
    </div>
  )
}

/** Moves focus to the new screen's heading after navigation, as a full page load would. */
function useFocusOnNavigate(route: Route, main: RefObject<HTMLElement | null>) {
  const key =
    route.name === 'thread'
      ? `thread:${route.threadId}`
      : route.name === 'connected-app' || route.name === 'admin-partner'
        ? `${route.name}:${route.clientId}`
        : route.name === 'profile'
          ? `profile:${route.username}`
          : route.name
  // On wide screens the composer takes focus in a thread, and the inbox list is right beside it.
  const skip = (route.name === 'thread' || route.name === 'inbox') && window.matchMedia(WIDE_QUERY).matches
  const previous = useRef<string | null>(null)
  useEffect(() => {
    const isFirst = previous.current === null
    if (previous.current === key) return
    previous.current = key
    if (isFirst || skip) return
    const target =
      route.name === 'inbox' ? document.getElementById('inbox-heading') : main.current?.querySelector('h1')
    target?.focus({ preventScroll: true })
  }, [key, skip, main, route.name])
}

export function Shell({ route }: { route: Route }) {
  const main = useRef<HTMLElement>(null)
  useFocusOnNavigate(route, main)
  const chats = route.name === 'inbox' || route.name === 'thread'
  const threadId = route.name === 'thread' ? route.threadId : null
  return (
    <div className="app" data-screen={route.name}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <TopBar route={route} />
      <ConnectionBanner />
      {chats ? (
        <div className="chats" data-has-thread={threadId !== null}>
          <InboxPane selectedId={threadId} />
          <main id="main" className="chat-main" ref={main} tabIndex={-1}>
            {threadId ? <ThreadView key={threadId} threadId={threadId} /> : <NoThread />}
          </main>
        </div>
      ) : (
        <main id="main" className="page" ref={main} tabIndex={-1}>
          {route.name === 'friends' && <FriendsPage />}
          {route.name === 'settings' && <SettingsPage />}
          {route.name === 'profile' && <ProfilePage key={route.username} username={route.username} />}
          {route.name === 'new-group' && <NewGroupPage />}
          {route.name === 'connected-apps' && <ConnectedAppsPage />}
          {route.name === 'connected-app' && (
            <ConnectedAppPage key={route.clientId} clientId={route.clientId} />
          )}
          {route.name === 'admin' && (
            <AdminsOnly>
              <AdminPage />
            </AdminsOnly>
          )}
          {route.name === 'admin-new-partner' && (
            <AdminsOnly>
              <RegisterPartnerPage />
            </AdminsOnly>
          )}
          {route.name === 'admin-partner' && (
            <AdminsOnly>
              <PartnerPage key={route.clientId} clientId={route.clientId} />
            </AdminsOnly>
          )}
          {route.name === 'admin-report' && (
            <AdminsOnly>
              <ReportPage key={route.reportId} reportId={route.reportId} />
            </AdminsOnly>
          )}
          {route.name === 'not-found' && <NotFound />}
        </main>
      )}
    </div>
  )
}
