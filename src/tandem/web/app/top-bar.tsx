import { Link, paths, type Route } from '../lib/router.tsx'
import { totalUnread, useApp, useMe } from '../state/app-state.ts'
import { logOut } from '../state/session.ts'
import { Avatar } from '../ui/avatar.tsx'
import { AppsIcon, ChatIcon, LogoMark, PeopleIcon, SettingsIcon, ShieldIcon } from '../ui/icons.tsx'
import { UnreadBadge } from '../ui/unread-badge.tsx'

const SECTIONS: Partial<Record<Route['name'], string>> = {
  inbox: 'chats',
  thread: 'chats',
  'new-group': 'chats',
  friends: 'friends',
  'connected-apps': 'apps',
  'connected-app': 'apps',
  settings: 'settings',
  admin: 'admin',
  'admin-new-partner': 'admin',
  'admin-partner': 'admin',
  'admin-report': 'admin',
}

export function TopBar({ route }: { route: Route }) {
  const me = useMe()
  const unread = useApp((s) => totalUnread(s.inbox.threads))
  const requests = useApp((s) => s.social.incoming.length)
  const current = SECTIONS[route.name]
  return (
    <header className="top-bar">
      <Link to={paths.inbox} className="brand" aria-label="Tandem, chats">
        <LogoMark />
        <span className="brand-name">Tandem</span>
      </Link>
      <nav aria-label="Main" className="main-nav">
        <Link
          to={paths.inbox}
          aria-current={current === 'chats' ? 'page' : undefined}
          data-testid="nav-chats"
        >
          <ChatIcon />
          <span>Chats</span>
          <UnreadBadge count={unread} testId="total-unread-badge" />
        </Link>
        <Link
          to={paths.friends}
          aria-current={current === 'friends' ? 'page' : undefined}
          data-testid="nav-friends"
        >
          <PeopleIcon />
          <span>Friends</span>
          <UnreadBadge
            count={requests}
            testId="requests-badge"
            noun={requests === 1 ? 'request' : 'requests'}
          />
        </Link>
        <Link
          to={paths.connectedApps}
          aria-current={current === 'apps' ? 'page' : undefined}
          data-testid="nav-apps"
        >
          <AppsIcon />
          <span>Apps</span>
        </Link>
        <Link
          to={paths.settings}
          aria-current={current === 'settings' ? 'page' : undefined}
          data-testid="nav-settings"
        >
          <SettingsIcon />
          <span>Settings</span>
        </Link>
        {me.isAdmin && (
          <Link
            to={paths.admin}
            aria-current={current === 'admin' ? 'page' : undefined}
            data-testid="nav-admin"
          >
            <ShieldIcon />
            <span>Admin</span>
          </Link>
        )}
      </nav>
      <div className="top-bar-me">
        <Avatar id={me.id} name={me.displayName} size="sm" />
        <span className="top-bar-name" data-testid="me-name">
          {me.displayName}
        </span>
        <button type="button" className="button button-ghost button-small" onClick={() => void logOut()}>
          Log out
        </button>
      </div>
    </header>
  )
}
