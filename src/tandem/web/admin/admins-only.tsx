import type { ReactNode } from 'react'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { useMe } from '../state/app-state.ts'
import { ShieldIcon } from '../ui/icons.tsx'

function AdminsOnlyPage() {
  usePageTitle('Admins only')
  return (
    <div className="page-content" data-testid="admins-only">
      <div className="card-section empty-state">
        <ShieldIcon width={40} height={40} />
        <h1 tabIndex={-1}>Admins only</h1>
        <p>
          The admin console is for Tandem’s platform admins, who register partner apps and keep their
          agreements. Your account is not an admin account.
        </p>
        <p>
          <Link to={paths.connectedApps}>See the apps you connected</Link> or{' '}
          <Link to={paths.inbox}>go to your chats</Link>.
        </p>
      </div>
    </div>
  )
}

/** Shows the admin screens to admins, and a clear explanation to everyone else. */
export function AdminsOnly({ children }: { children: ReactNode }) {
  const me = useMe()
  return me.isAdmin ? children : <AdminsOnlyPage />
}
