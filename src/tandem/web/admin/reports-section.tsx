import { useCallback } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { useResource } from '../../../lib/web/use-resource.ts'
import { calendarDay, fullTime } from '../lib/format.ts'
import { Link, paths } from '../lib/router.tsx'
import { DataTable } from '../ui/data-table.tsx'
import { Pill, type PillTone } from '../ui/pill.tsx'
import { type ReportVersion, reportsApi } from './reports-api.ts'

const VERDICTS: Record<NonNullable<ReportVersion['verdict']> | 'none', { tone: PillTone; words: string }> = {
  consistent: { tone: 'good', words: 'Consistent' },
  discrepant: { tone: 'bad', words: 'Discrepant' },
  none: { tone: 'neutral', words: 'Not reconciled' },
}

export function VerdictPill({ verdict }: { verdict: ReportVersion['verdict'] }) {
  const { tone, words } = VERDICTS[verdict ?? 'none']
  return (
    <Pill tone={tone} testId="verdict">
      {words}
    </Pill>
  )
}

export function TimelinessPill({ version }: { version: ReportVersion }) {
  return version.timeliness === 'on_time' ? <Pill tone="good">On time</Pill> : <Pill tone="warn">Late</Pill>
}

/** Every report version a partner delivered: period, status, restatements, timeliness and verdict. */
export function ReportsSection({ clientId }: { clientId: string }) {
  const load = useCallback((signal: AbortSignal) => reportsApi.versions(clientId, signal), [clientId])
  const { status, data, error } = useResource(load)
  const versions = data?.reports ?? []
  return (
    <section className="card-section" aria-labelledby="reports-heading" data-testid="reports">
      <h2 id="reports-heading">Reports</h2>
      <p className="muted">
        Each version the partner delivered to the Reporting API, newest period first. A report is due two days
        after its 14-day period ends; the verdict compares it with Tandem’s own counts.
      </p>
      {error && <Notice tone="error">{error}</Notice>}
      {status === 'loading' && <p className="muted pad-y">Loading reports…</p>}
      {status === 'ready' && versions.length === 0 && <p className="muted">No report received yet.</p>}
      {versions.length > 0 && (
        <DataTable
          caption="Report versions, newest period first"
          testId="report-versions"
          columns={['Period (UTC)', 'Version', 'Received', 'Reconciliation', { label: 'Open', hidden: true }]}
        >
          {versions.map((v) => (
            <tr key={v.id} data-testid="report-version" data-status={v.status} data-verdict={v.verdict ?? ''}>
              <td>
                {calendarDay(v.periodStart)} – {calendarDay(v.periodEnd)}
              </td>
              <td>
                <Pill tone={v.status === 'final' ? 'info' : 'neutral'}>
                  {v.status === 'final' ? 'Final' : 'Provisional'}
                </Pill>
                {v.supersedes && <span className="cell-sub">Restates an earlier version</span>}
                {v.supersededBy && <span className="cell-sub">Restated by a later version</span>}
              </td>
              <td>
                <TimelinessPill version={v} />
                <span className="cell-sub">{fullTime(v.receivedAt)}</span>
              </td>
              <td>
                <VerdictPill verdict={v.verdict} />
                {v.flaggedCells !== null && v.flaggedCells > 0 && (
                  <span className="cell-sub">
                    {v.flaggedCells} flagged check{v.flaggedCells === 1 ? '' : 's'}
                  </span>
                )}
              </td>
              <td>
                <Link
                  to={paths.adminReport(v.id)}
                  aria-label={`Open the ${v.status} report for ${calendarDay(v.periodStart)}`}
                >
                  Open
                </Link>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  )
}
