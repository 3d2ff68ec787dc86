import { useCallback } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { useResource } from '../../../lib/web/use-resource.ts'
import { api } from '../api/endpoints.ts'
import type { Compliance } from '../api/types.ts'
import { plural } from '../lib/format.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { AppMark } from '../ui/app-mark.tsx'
import { DataTable } from '../ui/data-table.tsx'
import { Pill } from '../ui/pill.tsx'
import { AgreementPill, API_LABELS, PRIVILEGED_APIS, reportCounts } from './partner-status.tsx'

const RECENT_DELIVERIES = 100

interface PartnerOverview {
  compliance: Compliance
  /** Failed deliveries among the latest ones; null when the log could not be read. */
  failedWebhooks: number | null
}

async function loadOverview(signal: AbortSignal): Promise<PartnerOverview[]> {
  const { partners } = await api.admin.compliance(signal)
  return Promise.all(
    partners.map(async (compliance) => {
      const failedWebhooks = await api.admin
        .deliveries(compliance.clientId, { limit: RECENT_DELIVERIES })
        .then(({ deliveries }) => deliveries.filter((d) => d.status === 'failed').length)
        .catch(() => null)
      return { compliance, failedWebhooks }
    }),
  )
}

function Tile({ label, value, tone }: { label: string; value: number; tone?: 'bad' | 'warn' | undefined }) {
  return (
    <div className={`tile${tone && value > 0 ? ` tile-${tone}` : ''}`}>
      <span className="tile-value">{value}</span>
      <span className="tile-label">{label}</span>
    </div>
  )
}

function ReportsCell({ compliance }: { compliance: Compliance }) {
  const { due, late } = reportCounts(compliance)
  if (compliance.reports.everyDays === null) return <span className="muted">No obligation</span>
  return (
    <span className="cell-stack">
      {late > 0 && <Pill tone="bad">{late} late</Pill>}
      {due > 0 && <Pill tone="info">{due} due</Pill>}
      {late === 0 && due === 0 && <Pill tone="good">Up to date</Pill>}
      <span className="cell-sub">every {compliance.reports.everyDays} days</span>
    </span>
  )
}

function ReceiptsCell({ compliance }: { compliance: Compliance }) {
  const { outstanding, overdue } = compliance.deletionReceipts
  if (outstanding === 0) return <span className="muted">None outstanding</span>
  return (
    <span className="cell-stack">
      {overdue > 0 && <Pill tone="bad">{overdue} overdue</Pill>}
      <span>{outstanding} outstanding</span>
    </span>
  )
}

function WebhooksCell({ failed }: { failed: number | null }) {
  if (failed === null) return <span className="muted">Unknown</span>
  return failed > 0 ? (
    <Pill tone="bad">{plural(failed, 'failure')}</Pill>
  ) : (
    <span className="muted">No failures</span>
  )
}

function RecipientControlsCell({ compliance }: { compliance: Compliance }) {
  const { muted, reports } = compliance.recipientControls
  if (muted === 0 && reports === 0) return <span className="muted">None</span>
  return (
    <span>
      {muted} muted, {reports} reported
    </span>
  )
}

function PartnersTable({ rows }: { rows: PartnerOverview[] }) {
  return (
    <DataTable
      caption="Partner apps and their compliance"
      testId="partners-table"
      columns={['Partner', 'Agreement', 'Reports', 'Deletion receipts', 'Muted / reported', 'Webhooks']}
    >
      {rows.map(({ compliance: c, failedWebhooks }) => {
        const active = new Set(c.agreements.filter((a) => a.status === 'active').map((a) => a.api))
        const apis = PRIVILEGED_APIS.filter((api) => active.has(api))
        return (
          <tr key={c.clientId} data-testid="partner-row" data-client-id={c.clientId}>
            <th scope="row">
              <span className="partner-cell">
                <AppMark clientId={c.clientId} name={c.name} />
                <span className="cell-stack">
                  <Link to={paths.adminPartner(c.clientId)}>{c.name}</Link>
                  <code className="cell-sub">{c.clientId}</code>
                </span>
              </span>
            </th>
            <td>
              <span className="cell-stack">
                <AgreementPill compliance={c} />
                {apis.length > 0 && (
                  <span className="cell-sub">{apis.map((api) => API_LABELS[api]).join(', ')}</span>
                )}
              </span>
            </td>
            <td>
              <ReportsCell compliance={c} />
            </td>
            <td>
              <ReceiptsCell compliance={c} />
            </td>
            <td data-testid="recipient-controls-cell">
              <RecipientControlsCell compliance={c} />
            </td>
            <td>
              <WebhooksCell failed={failedWebhooks} />
            </td>
          </tr>
        )
      })}
    </DataTable>
  )
}

/** Every partner's compliance at a glance, with the way to register a new one. */
export function AdminPage() {
  usePageTitle('Admin console')
  const load = useCallback(loadOverview, [])
  const { status, data, error } = useResource(load)
  const rows = data ?? []
  const count = (test: (row: PartnerOverview) => boolean) => rows.filter(test).length
  return (
    <div className="page-content page-wide" data-testid="admin-page">
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Admin console</h1>
          <p className="page-lead">Partner apps, the agreements that let them in, and how they keep them.</p>
        </div>
        <Link to={paths.adminNewPartner} className="button button-primary" data-testid="register-partner">
          Register partner
        </Link>
      </div>
      {error && <Notice tone="error">{error}</Notice>}
      {status === 'loading' && <p className="muted pad-y">Loading partners…</p>}
      {data && (
        <div className="tiles" data-testid="admin-tiles">
          <Tile label="Partners" value={rows.length} />
          <Tile label="In agreement" value={count((r) => r.compliance.inAgreement)} />
          <Tile
            label="Reports late"
            value={rows.reduce((n, r) => n + reportCounts(r.compliance).late, 0)}
            tone="bad"
          />
          <Tile
            label="Receipts overdue"
            value={rows.reduce((n, r) => n + r.compliance.deletionReceipts.overdue, 0)}
            tone="bad"
          />
          <Tile
            label="Users who muted a partner"
            value={rows.reduce((n, r) => n + r.compliance.recipientControls.muted, 0)}
            tone="warn"
          />
          <Tile
            label="Partner messages reported"
            value={rows.reduce((n, r) => n + r.compliance.recipientControls.reports, 0)}
            tone="warn"
          />
          <Tile
            label="Webhook failures"
            value={rows.reduce((n, r) => n + (r.failedWebhooks ?? 0), 0)}
            tone="warn"
          />
        </div>
      )}
      <section className="card-section" aria-labelledby="partners-heading">
        <h2 id="partners-heading">Partners {data && <span className="count">{rows.length}</span>}</h2>
        {data && rows.length === 0 && (
          <p className="muted">
            No partner apps yet. Register one to give it OAuth credentials, then create an agreement for the
            privileged APIs it may use.
          </p>
        )}
        {rows.length > 0 && <PartnersTable rows={rows} />}
      </section>
    </div>
  )
}
