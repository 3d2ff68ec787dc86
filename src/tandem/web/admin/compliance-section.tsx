import type { Compliance, ReportPeriod } from '../api/types.ts'
import { fullTime, lastUtcDay, utcDay } from '../lib/format.ts'
import { DataTable } from '../ui/data-table.tsx'
import { Pill, type PillTone } from '../ui/pill.tsx'
import { AgreementPill, reportCounts } from './partner-status.tsx'

const REPORT_TONES: Record<ReportPeriod['status'], PillTone> = { received: 'good', due: 'info', late: 'bad' }
const REPORT_WORDS: Record<ReportPeriod['status'], string> = {
  received: 'Received',
  due: 'Due',
  late: 'Late',
}

function Stat({ label, value, tone }: { label: string; value: number; tone?: 'bad' | undefined }) {
  return (
    <div className={`stat${tone && value > 0 ? ` stat-${tone}` : ''}`}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  )
}

/** Whether a partner keeps its agreement: in force or not, reports owed, deletion receipts, grants, mutes and reports. */
export function ComplianceSection({ compliance }: { compliance: Compliance }) {
  const { due, late } = reportCounts(compliance)
  const periods = [...compliance.reports.due].reverse()
  return (
    <section className="card-section" aria-labelledby="compliance-heading" data-testid="compliance">
      <div className="section-header">
        <h2 id="compliance-heading">Compliance</h2>
        <AgreementPill compliance={compliance} />
      </div>
      <p className="muted">
        {compliance.inAgreement
          ? 'At least one agreement is in force, so the partner may use the APIs it covers.'
          : compliance.status === 'suspended'
            ? 'The partner is suspended: every privileged call fails until it is reactivated.'
            : 'No agreement is in force: privileged calls fail and the consent screen does not offer those scopes.'}
      </p>

      <h3 className="subheading">Deletion receipts and grants</h3>
      <dl className="stats" data-testid="receipt-stats">
        <Stat label="Receipts outstanding" value={compliance.deletionReceipts.outstanding} />
        <Stat label="Receipts overdue" value={compliance.deletionReceipts.overdue} tone="bad" />
        <Stat label="Receipts received" value={compliance.deletionReceipts.received} />
        <Stat label="Users connected" value={compliance.grants.active} />
        <Stat label="Grants revoked" value={compliance.grants.revoked} />
      </dl>

      <h3 className="subheading">Recipient controls</h3>
      <p className="muted">People who muted this partner's messages, and reports about messages it sent.</p>
      <dl className="stats" data-testid="recipient-controls">
        <Stat label="Users who muted it" value={compliance.recipientControls.muted} tone="bad" />
        <Stat label="Messages reported" value={compliance.recipientControls.reports} tone="bad" />
      </dl>

      <h3 className="subheading">Reports</h3>
      {compliance.reports.everyDays === null ? (
        <p className="muted">No agreement asks this partner for reports.</p>
      ) : periods.length === 0 ? (
        <p className="muted">A report every {compliance.reports.everyDays} days; none is owed yet.</p>
      ) : (
        <>
          <p className="muted">
            A report every {compliance.reports.everyDays} days, due two days after its period ends.{' '}
            {late > 0 ? `${late} late, ` : ''}
            {due > 0 ? `${due} due.` : late > 0 ? '' : 'Up to date.'}
          </p>
          <DataTable
            caption="Report periods owed, newest first"
            testId="report-schedule"
            columns={['Period (UTC)', 'Due', 'Status']}
          >
            {periods.map((p) => (
              <tr key={p.periodStart} data-status={p.status}>
                <td>
                  {utcDay(p.periodStart)} – {lastUtcDay(p.periodEnd)}
                </td>
                <td>{fullTime(p.dueAt)}</td>
                <td>
                  <Pill tone={REPORT_TONES[p.status]}>{REPORT_WORDS[p.status]}</Pill>
                  {p.receivedAt && <span className="cell-sub">{fullTime(p.receivedAt)}</span>}
                </td>
              </tr>
            ))}
          </DataTable>
        </>
      )}
    </section>
  )
}
