import { useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import type { ConnectedApp, DisconnectedApp } from '../api/types.ts'
import { dateOnly, fullTime } from '../lib/format.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { AppMark } from '../ui/app-mark.tsx'
import { BackLink } from '../ui/back-link.tsx'
import { ExternalLink } from '../ui/external-link.tsx'
import { Pill } from '../ui/pill.tsx'
import { DeletionStatus } from './deletion-status.tsx'
import { LedgerSection } from './ledger-section.tsx'
import { RevokeSection } from './revoke-section.tsx'
import { useConnectedApps } from './use-connected-apps.ts'

function AppHeader({ app, connected }: { app: ConnectedApp | DisconnectedApp; connected: boolean }) {
  return (
    <div className="app-header">
      <AppMark clientId={app.clientId} name={app.name} />
      <div className="app-header-text">
        <div className="app-header-title">
          <h1 tabIndex={-1} data-testid="app-name">
            {app.name}
          </h1>
          {connected ? <Pill tone="good">Connected</Pill> : <Pill tone="neutral">Revoked</Pill>}
        </div>
        <p className="app-row-detail">
          <ExternalLink href={app.homepageUrl} testId="app-homepage" /> ·{' '}
          <ExternalLink href={app.privacyPolicyUrl}>Privacy policy</ExternalLink> ·{' '}
          <Link to={paths.publicPartner(app.clientId)} data-testid="app-public-page">
            What it reports to Tandem
          </Link>
        </p>
      </div>
    </div>
  )
}

function Permissions({ app }: { app: ConnectedApp }) {
  return (
    <section className="card-section" aria-labelledby="scopes-heading">
      <h2 id="scopes-heading">What {app.name} can do</h2>
      <p className="muted">
        You allowed this on {fullTime(app.connectedAt)}
        {app.updatedAt !== app.connectedAt ? `, last changed ${fullTime(app.updatedAt)}` : ''}.
      </p>
      <ul className="scope-list" data-testid="scopes">
        {app.scopes.map((s) => (
          <li key={s.scope} data-testid="scope" data-scope={s.scope}>
            <span className="scope-purpose">{s.purpose}</span>
            <code className="scope-code">{s.scope}</code>
          </li>
        ))}
      </ul>
    </section>
  )
}

/** One app: what I allowed it, what it did for me (the ledger), and revoking it. */
export function ConnectedAppPage({ clientId }: { clientId: string }) {
  const { status, data, error, reload } = useConnectedApps()
  const [revokedDue, setRevokedDue] = useState<string | null | undefined>(undefined)
  const app = data?.apps.find((a) => a.clientId === clientId)
  const gone = data?.disconnected.find((a) => a.clientId === clientId)
  usePageTitle(app?.name ?? gone?.name ?? 'Connected apps')

  return (
    <div className="page-content" data-testid="connected-app-page">
      <BackLink to={paths.connectedApps}>Connected apps</BackLink>
      {error && <Notice tone="error">{error}</Notice>}
      {status === 'loading' && <p className="muted pad-y">Loading…</p>}
      {status !== 'loading' && !app && !gone && (
        <>
          <h1 tabIndex={-1}>App not found</h1>
          <p className="muted">You have not connected this app to Tandem.</p>
        </>
      )}
      {app && (
        <>
          <AppHeader app={app} connected />
          <Permissions app={app} />
          <LedgerSection clientId={clientId} appName={app.name} />
          <RevokeSection
            clientId={app.clientId}
            appName={app.name}
            onRevoked={(dueAt) => {
              setRevokedDue(dueAt)
              void reload()
            }}
          />
        </>
      )}
      {!app && gone && (
        <>
          <AppHeader app={gone} connected={false} />
          {revokedDue !== undefined && (
            <Notice tone="success" testId="revoked-notice">
              {gone.name}’s access is revoked: its next call fails.
              {revokedDue ? ` It must confirm deleting your data by ${dateOnly(revokedDue)}.` : ''}
            </Notice>
          )}
          <section className="card-section" aria-labelledby="deletion-heading">
            <h2 id="deletion-heading">Your data at {gone.name}</h2>
            <p className="muted">
              You revoked {gone.name} on {fullTime(gone.disconnectedAt)}.
            </p>
            <DeletionStatus deletion={gone.deletion} appName={gone.name} />
          </section>
          <LedgerSection clientId={clientId} appName={gone.name} />
        </>
      )}
    </div>
  )
}
