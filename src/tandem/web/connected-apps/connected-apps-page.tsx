import type { ReactNode } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import type { ConnectedApp, DisconnectedApp } from '../api/types.ts'
import { dateOnly, plural } from '../lib/format.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { AppMark } from '../ui/app-mark.tsx'
import { ExternalLink } from '../ui/external-link.tsx'
import { AppsIcon } from '../ui/icons.tsx'
import { DeletionStatus } from './deletion-status.tsx'
import { useConnectedApps } from './use-connected-apps.ts'

function EmptyState() {
  return (
    <div className="card-section empty-state" data-testid="connected-apps-empty">
      <AppsIcon width={40} height={40} />
      <h2>No connected apps</h2>
      <p>
        When another app, such as a streaming service, offers <strong>Connect with Tandem</strong>, Tandem
        asks you what it may do, one line per permission, and you choose. The apps you connect show up here.
      </p>
      <p className="muted">
        For each one you will see what you allowed, every call it made for you, and a button to revoke it at
        any time. Revoking stops it at once and asks it to delete your data.
      </p>
    </div>
  )
}

/** An app's mark and its name, to its page, over a line about it. */
function AppSummary({
  app,
  detail,
  children,
}: {
  app: ConnectedApp | DisconnectedApp
  detail: ReactNode
  children?: ReactNode
}) {
  return (
    <>
      <AppMark clientId={app.clientId} name={app.name} />
      <span className="app-row-text">
        <Link to={paths.connectedApp(app.clientId)} className="app-row-name">
          {app.name}
        </Link>
        <span className="app-row-detail">
          <ExternalLink href={app.homepageUrl} /> · {detail}
        </span>
        {children}
      </span>
    </>
  )
}

function ConnectedRow({ app }: { app: ConnectedApp }) {
  return (
    <li className="app-row" data-testid="connected-app" data-client-id={app.clientId}>
      <AppSummary
        app={app}
        detail={`connected ${dateOnly(app.connectedAt)} · ${plural(app.scopes.length, 'permission')}`}
      />
      <Link
        to={paths.connectedApp(app.clientId)}
        className="button button-small"
        aria-label={`Manage ${app.name}`}
      >
        Manage
      </Link>
    </li>
  )
}

function DisconnectedRow({ app }: { app: DisconnectedApp }) {
  return (
    <li className="app-row app-row-stacked" data-testid="disconnected-app" data-client-id={app.clientId}>
      <AppSummary app={app} detail={`revoked ${dateOnly(app.disconnectedAt)}`}>
        <DeletionStatus deletion={app.deletion} appName={app.name} />
      </AppSummary>
    </li>
  )
}

export function ConnectedAppsPage() {
  usePageTitle('Connected apps')
  const { status, data, error } = useConnectedApps()
  const apps = data?.apps ?? []
  const disconnected = data?.disconnected ?? []
  return (
    <div className="page-content" data-testid="connected-apps-page">
      <h1 tabIndex={-1}>Connected apps</h1>
      <p className="page-lead">
        Apps you connected to your Tandem account. Each can do only what you allowed, every call it makes for
        you is written to your access ledger, and you can revoke it at any time.
      </p>
      {error && <Notice tone="error">{error}</Notice>}
      {status === 'loading' && <p className="muted pad-y">Loading your apps…</p>}
      {status === 'ready' && apps.length === 0 && disconnected.length === 0 && <EmptyState />}
      {apps.length > 0 && (
        <section className="card-section" aria-labelledby="connected-heading">
          <h2 id="connected-heading">
            Connected <span className="count">{apps.length}</span>
          </h2>
          <ul className="app-list" data-testid="connected-apps">
            {apps.map((app) => (
              <ConnectedRow key={app.clientId} app={app} />
            ))}
          </ul>
        </section>
      )}
      {status === 'ready' && apps.length === 0 && disconnected.length > 0 && (
        <p className="card-section muted">No apps are connected now.</p>
      )}
      {disconnected.length > 0 && (
        <section className="card-section" aria-labelledby="disconnected-heading">
          <h2 id="disconnected-heading">
            Revoked <span className="count">{disconnected.length}</span>
          </h2>
          <p className="muted">
            Apps you revoked. Each was asked to delete your data and to confirm it with a signed receipt.
          </p>
          <ul className="app-list" data-testid="disconnected-apps">
            {disconnected.map((app) => (
              <DisconnectedRow key={app.clientId} app={app} />
            ))}
          </ul>
        </section>
      )}
    </div>
  )
}
