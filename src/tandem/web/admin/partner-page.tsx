import { useCallback, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { useResource } from '../../../lib/web/use-resource.ts'
import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import type { Partner } from '../api/types.ts'
import { fullTime } from '../lib/format.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { paths } from '../lib/router.tsx'
import { AppMark } from '../ui/app-mark.tsx'
import { BackLink } from '../ui/back-link.tsx'
import { ConfirmActions } from '../ui/confirm-actions.tsx'
import { ExternalLink } from '../ui/external-link.tsx'
import { Pill } from '../ui/pill.tsx'
import { AgreementsSection } from './agreements-section.tsx'
import { ComplianceSection } from './compliance-section.tsx'
import { AgreementPill } from './partner-status.tsx'
import { ReportsSection } from './reports-section.tsx'
import { WebhooksSection } from './webhooks-section.tsx'

function keyIds(jwks: Partner['jwks']): string[] {
  const keys = Array.isArray(jwks?.keys) ? jwks.keys : []
  return keys.map((k) => (k && typeof k === 'object' && 'kid' in k ? String(k.kid) : '(no kid)'))
}

function Registration({ partner }: { partner: Partner }) {
  const kids = keyIds(partner.jwks)
  return (
    <section className="card-section" aria-labelledby="registration-heading" data-testid="registration">
      <h2 id="registration-heading">Registration</h2>
      <dl className="facts">
        <dt>Client ID</dt>
        <dd>
          <code>{partner.clientId}</code>
        </dd>
        <dt>Homepage</dt>
        <dd>
          <ExternalLink href={partner.homepageUrl}>{partner.homepageUrl}</ExternalLink>
        </dd>
        <dt>Privacy policy</dt>
        <dd>
          <ExternalLink href={partner.privacyPolicyUrl}>{partner.privacyPolicyUrl}</ExternalLink>
        </dd>
        <dt>Redirect URIs</dt>
        <dd>
          <ul className="plain-list">
            {partner.redirectUris.map((uri) => (
              <li key={uri}>
                <code>{uri}</code>
              </li>
            ))}
          </ul>
        </dd>
        <dt>Signing keys</dt>
        <dd>
          {partner.jwksUri ? (
            <code>{partner.jwksUri}</code>
          ) : (
            <>
              {kids.length} registered key{kids.length === 1 ? '' : 's'}:{' '}
              {kids.map((kid, i) => (
                <span key={kid}>
                  {i > 0 && ', '}
                  <code>{kid}</code>
                </span>
              ))}
            </>
          )}
        </dd>
        <dt>Webhook URL</dt>
        <dd>
          {partner.webhookUrl ? <code>{partner.webhookUrl}</code> : <span className="muted">None</span>}
        </dd>
        <dt>Token binding</dt>
        <dd>{partner.dpopBoundAccessTokens ? 'DPoP-bound access tokens' : 'Bearer access tokens'}</dd>
        <dt>Registered</dt>
        <dd>
          {fullTime(partner.createdAt)}
          {partner.updatedAt !== partner.createdAt && (
            <span className="muted"> · changed {fullTime(partner.updatedAt)}</span>
          )}
        </dd>
      </dl>
    </section>
  )
}

function StatusControl({ partner, onChanged }: { partner: Partner; onChanged: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const action = partner.status === 'active' ? 'suspend' : 'activate'

  async function change() {
    setBusy(true)
    setError(null)
    try {
      await api.admin.setPartnerStatus(partner.clientId, action)
      setConfirming(false)
      await onChanged()
    } catch (failure) {
      setError(describeError(failure))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="status-control">
      {confirming ? (
        <ConfirmActions
          question={
            action === 'suspend'
              ? `Suspend ${partner.name}? Every privileged call fails at once.`
              : `Reactivate ${partner.name}?`
          }
          confirmLabel={action === 'suspend' ? 'Suspend' : 'Reactivate'}
          busy={busy}
          onConfirm={() => void change()}
          onCancel={() => setConfirming(false)}
        />
      ) : (
        <button
          type="button"
          className={`button button-small${action === 'suspend' ? ' button-quiet-danger' : ''}`}
          onClick={() => setConfirming(true)}
        >
          {action === 'suspend' ? 'Suspend' : 'Reactivate'}
        </button>
      )}
      {error && <Notice tone="error">{error}</Notice>}
    </div>
  )
}

/** Everything about one partner for an admin: registration, agreements, compliance, webhooks. */
export function PartnerPage({ clientId }: { clientId: string }) {
  const load = useCallback(
    async (signal: AbortSignal) => {
      const [{ partner }, { agreements }, compliance] = await Promise.all([
        api.admin.partner(clientId, signal),
        api.admin.agreements(clientId, signal),
        api.admin.partnerCompliance(clientId, signal),
      ])
      return { partner, agreements, compliance }
    },
    [clientId],
  )
  const { status, data, error, reload } = useResource(load)
  usePageTitle(data?.partner.name ?? 'Partner')

  return (
    <div className="page-content page-wide" data-testid="partner-page">
      <BackLink to={paths.admin}>Admin console</BackLink>
      {error && <Notice tone="error">{error}</Notice>}
      {status === 'loading' && <p className="muted pad-y">Loading partner…</p>}
      {status === 'error' && <h1 tabIndex={-1}>Partner not available</h1>}
      {data && (
        <>
          <div className="app-header">
            <AppMark clientId={data.partner.clientId} name={data.partner.name} />
            <div className="app-header-text">
              <h1 tabIndex={-1} data-testid="partner-name">
                {data.partner.name}
              </h1>
              <p className="app-row-detail">
                <ExternalLink href={data.partner.homepageUrl} />
              </p>
            </div>
            <span className="app-header-pills">
              {data.partner.status === 'suspended' ? (
                <Pill tone="bad">Suspended</Pill>
              ) : (
                <AgreementPill compliance={data.compliance} />
              )}
            </span>
            <StatusControl partner={data.partner} onChanged={reload} />
          </div>
          <div className="partner-grid">
            <div className="partner-main">
              <AgreementsSection clientId={clientId} agreements={data.agreements} onChanged={reload} />
              <ComplianceSection compliance={data.compliance} />
              <ReportsSection clientId={clientId} />
              <WebhooksSection clientId={clientId} webhookUrl={data.partner.webhookUrl} />
            </div>
            <div className="partner-side">
              <Registration partner={data.partner} />
            </div>
          </div>
        </>
      )}
    </div>
  )
}
