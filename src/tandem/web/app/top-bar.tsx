import type { ReactNode } from 'react'
import { Link, paths, type Route } from '../lib/router.tsx'
import { totalUnread, useApp, useMe } from '../state/app-state.ts'
import { logOut } from '../state/session.ts'
import { Avatar } from '../ui/avatar.tsx'
import { AppsIcon, ChatIcon, LogoMark, PeopleIcon, SettingsIcon, ShieldIcon } from '../ui/icons.tsx'
import { UnreadBadge } from '../ui/unread-badge.tsx'

const SECTIONS: Partial<Record<Route['name'], Section>> = {
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

type Section = 'chats' | 'friends' | 'apps' | 'settings' | 'admin'

interface NavLinkProps {
  to: string
  section: Section
  current: Section | undefined
  icon: ReactNode
  label: string
  children?: ReactNode
}

function NavLink({ to, section, current, icon, label, children }: NavLinkProps) {
  return (
    <Link to={to} aria-current={current === section ? 'page' : undefined} data-testid={`nav-${section}`}>
      {icon}
      <span>{label}</span>
      {children}
    </Link>
  )
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
        <NavLink to={paths.inbox} section="chats" current={current} icon={<ChatIcon />} label="Chats">
          <UnreadBadge count={unread} testId="total-unread-badge" />
        </NavLink>
        <NavLink to={paths.friends} section="friends" current={current} icon={<PeopleIcon />} label="Friends">
          <UnreadBadge
            count={requests}
            testId="requests-badge"
            noun={requests === 1 ? 'request' : 'requests'}
          />
        </NavLink>
        <NavLink to={paths.connectedApps} section="apps" current={current} icon={<AppsIcon />} label="Apps" />
        <NavLink
          to={paths.settings}
          section="settings"
          current={current}
          icon={<SettingsIcon />}
          label="Settings"
        />
        {me.isAdmin && (
          <NavLink to={paths.admin} section="admin" current={current} icon={<ShieldIcon />} label="Admin" />
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
