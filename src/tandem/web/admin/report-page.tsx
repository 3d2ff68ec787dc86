import { useCallback, useId, useMemo, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { useResource } from '../../../lib/web/use-resource.ts'
import { calendarDay, formatCount, fullTime, sum } from '../lib/format.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { LineChart } from '../partners/line-chart.tsx'
import { BackLink } from '../ui/back-link.tsx'
import { type Column, DataTable } from '../ui/data-table.tsx'
import { Pill } from '../ui/pill.tsx'
import {
  type ChartDimension,
  type Measure,
  type ReconciliationFlag,
  type ReportCell,
  type ReportView,
  reportsApi,
} from './reports-api.ts'
import { TimelinessPill, VerdictPill } from './reports-section.tsx'

const Z95 = 1.959963984540054
const MEASURE_WORDS: Record<Measure, string> = {
  sends: 'Sends',
  clicks: 'Clicks',
  uniqueClicks: 'Unique clicks',
}
const DIMENSION_WORDS: Record<ChartDimension, string> = {
  interface: 'interface',
  surface: 'initiation surface',
  variant: 'variant',
}
const cellKey = (c: { interface: string; surface: string; variant: string }) =>
  `${c.interface}|${c.surface}|${c.variant}`
const cellName = (c: { interface: string; surface: string; variant: string }) =>
  `${c.interface} · ${c.surface} · ${c.variant}`
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** The 95% half-width of a sum of `cells` noisy counts, from the declared scale (the declared one for one cell). */
function bandHalfWidth(view: ReportView, cells: number): number {
  const h = view.reconciliation.noise.halfWidth95
  const scale = view.reconciliation.noise.scale
  if (!scale || cells <= 1) return h
  const alpha = Math.exp(-1 / scale)
  const variance = (2 * alpha) / (1 - alpha) ** 2
  return Math.max(h, Math.ceil(Z95 * Math.sqrt(cells * variance)))
}

function Manifest({ view }: { view: ReportView }) {
  const m = view.manifest
  const bound = m.contributionBound as { sendsPerSenderPerDay?: unknown } | undefined
  const clipped = m.clippedShare as { sends?: unknown; clicks?: unknown } | undefined
  const percent = (v: unknown) => (num(v) === null ? '—' : `${((num(v) ?? 0) * 100).toFixed(1)}%`)
  return (
    <dl className="facts" data-testid="manifest">
      <dt>Mechanism</dt>
      <dd>{m.mechanism === 'discrete_laplace' ? 'Discrete Laplace noise' : 'No noise'}</dd>
      <dt>ε per day / in total</dt>
      <dd>
        {num(m.epsilonPerDay) ?? '—'} / {num(m.epsilonTotal) ?? '—'}
      </dd>
      <dt>Noise scale</dt>
      <dd>{num(m.noiseScale) ?? '—'}</dd>
      <dt>95% half-width per cell</dt>
      <dd>
        ±{view.reconciliation.noise.halfWidth95}
        {!view.reconciliation.noise.manifestConsistent && (
          <span className="cell-sub">
            Tandem expects ±{view.reconciliation.noise.expectedHalfWidth95} for the declared scale
          </span>
        )}
      </dd>
      <dt>Contribution bound</dt>
      <dd>{num(bound?.sendsPerSenderPerDay) ?? '—'} sends per sender per day</dd>
      <dt>Clipped share</dt>
      <dd>
        {percent(clipped?.sends)} of sends, {percent(clipped?.clicks)} of clicks
      </dd>
    </dl>
  )
}

function Breakdowns({ view }: { view: ReportView }) {
  const base = useId()
  return (
    <section className="card-section" aria-labelledby="breakdowns-heading" data-testid="report-charts">
      <h2 id="breakdowns-heading">Daily sends and clicks to Tandem recipients</h2>
      <p className="muted">What the partner reported for recommendations sent to Tandem users, per day.</p>
      {(['interface', 'surface', 'variant'] as const).map((dimension) => (
        <div key={dimension}>
          <h3 className="subheading">By {DIMENSION_WORDS[dimension]}</h3>
          <div className="chart-grid-2">
            {(['sends', 'clicks'] as const).map((measure) => {
              const series = view.breakdowns[dimension].map((s) => ({ name: s.value, values: s[measure] }))
              const total = sum(series.flatMap((s) => s.values))
              return (
                <LineChart
                  key={measure}
                  id={`${base}-${dimension}-${measure}`}
                  title={`${MEASURE_WORDS[measure]} per day by ${DIMENSION_WORDS[dimension]}`}
                  description={`Reported daily ${measure} to Tandem recipients, one line per ${DIMENSION_WORDS[dimension]} (${series.map((s) => s.name).join(', ')}), ${formatCount(total)} in all.`}
                  days={view.days}
                  series={series}
                />
              )
            })}
          </div>
        </div>
      ))}
    </section>
  )
}

/** Reported against Tandem's own counts per day, for one cell or all of them, with the noise band. */
function Comparison({ view }: { view: ReportView }) {
  const base = useId()
  const flaggedPeriodCells = useMemo(
    () => new Set(view.reconciliation.flags.filter((f) => f.level === 'period').map(cellKey)),
    [view],
  )
  // Open on the first flagged cell, where there is one: that is what the admin came to see.
  const [selected, setSelected] = useState<string>(() => {
    const flagged = view.cells.find((c) => flaggedPeriodCells.has(cellKey(c)))
    return flagged ? cellKey(flagged) : 'all'
  })
  const [measure, setMeasure] = useState<Measure>('sends')
  const chosen: ReportCell[] =
    selected === 'all' ? view.cells : view.cells.filter((c) => cellKey(c) === selected)
  const n = view.days.length
  const add = (pick: (c: ReportCell) => readonly number[]) =>
    Array.from({ length: n }, (_, i) => sum(chosen.map((c) => pick(c)[i] ?? 0)))
  const reported = add((c) => c.reported[measure])
  const tandem = add((c) => c.tandem[measure])
  const hw = bandHalfWidth(view, chosen.length)
  const clipped = num((view.manifest.clippedShare as { sends?: unknown } | undefined)?.sends) ?? 0
  const band = {
    label: measure === 'sends' ? `Tandem’s count ± noise (±${hw})` : `Up to Tandem’s count + noise (+${hw})`,
    low: tandem.map((t) => (measure === 'sends' ? Math.max(0, Math.floor(t * (1 - clipped) - hw)) : 0)),
    high: tandem.map((t) => t + hw),
  }
  const chosenKeys = new Set(chosen.map(cellKey))
  const highlights = view.days.map((day) =>
    view.reconciliation.flags.some(
      (f) => f.level === 'day' && f.day === day && f.measure === measure && chosenKeys.has(cellKey(f)),
    ),
  )
  const selectId = `${base}-cell`
  const measureId = `${base}-measure`
  const name =
    selected === 'all' ? 'all cells' : cellName(chosen[0] ?? { interface: '', surface: '', variant: '' })
  return (
    <section className="card-section" aria-labelledby="comparison-heading" data-testid="report-comparison">
      <h2 id="comparison-heading">Reported against Tandem’s own counts</h2>
      <p className="muted">
        Tandem counts the sends its Inbox API accepted and the clicks its link shim saw. An honest report
        stays within the declared noise of Tandem’s count on most days; flagged days are circled.
      </p>
      <div className="chart-controls">
        <label htmlFor={selectId}>
          Cell
          <select id={selectId} value={selected} onChange={(e) => setSelected(e.target.value)}>
            <option value="all">All cells</option>
            {view.cells.map((c) => (
              <option key={cellKey(c)} value={cellKey(c)}>
                {cellName(c)}
                {flaggedPeriodCells.has(cellKey(c)) ? ' (flagged)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label htmlFor={measureId}>
          Measure
          <select id={measureId} value={measure} onChange={(e) => setMeasure(e.target.value as Measure)}>
            {(['sends', 'uniqueClicks', 'clicks'] as const).map((m) => (
              <option key={m} value={m}>
                {MEASURE_WORDS[m]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <LineChart
        id={`${base}-comparison`}
        testId="comparison-chart"
        width={1000}
        title={`${MEASURE_WORDS[measure]} per day, ${name}: reported and counted by Tandem`}
        description={`Reported ${formatCount(sum(reported))} in all against Tandem’s ${formatCount(sum(tandem))}; the band is Tandem’s count with the declared 95% noise.`}
        days={view.days}
        series={[
          { name: 'Reported by the partner', values: reported },
          { name: 'Counted by Tandem', values: tandem, dashed: true },
        ]}
        band={band}
        highlights={highlights}
        highlightLabel="Flagged day"
      />
    </section>
  )
}

function FlagPill({ flag }: { flag: ReconciliationFlag | undefined }) {
  if (!flag) return <span className="muted">—</span>
  return (
    <Pill tone="bad" testId="flag">
      {flag.direction === 'under' ? 'Under' : 'Over'} by {formatCount(flag.excess)}
    </Pill>
  )
}

/** The columns both reconciliation tables end with, after what names the row. */
const MEASURE_COLUMNS: Column[] = [
  'Measure',
  { label: 'Reported', num: true },
  { label: 'Observed', num: true },
  { label: 'Allowance', num: true },
  'Flag',
]

function MeasureCells(props: {
  measure: Measure
  reported: number
  observed: number
  flag: ReconciliationFlag | undefined
}) {
  const { flag } = props
  return (
    <>
      <td>{MEASURE_WORDS[props.measure]}</td>
      <td className="num">{formatCount(props.reported)}</td>
      <td className="num">{formatCount(props.observed)}</td>
      <td className="num">{flag ? `±${formatCount(flag.allowance)}` : '—'}</td>
      <td>
        <FlagPill flag={flag} />
      </td>
    </>
  )
}

/** Every cell over the period (the stored flags where it was flagged), then each flagged day. */
function ReconciliationSection({ view }: { view: ReportView }) {
  const r = view.reconciliation
  const [onlyFlagged, setOnlyFlagged] = useState(false)
  const periodFlags = new Map(
    r.flags.filter((f) => f.level === 'period').map((f) => [`${cellKey(f)}|${f.measure}`, f]),
  )
  const rows = view.cells.flatMap((c) =>
    (['sends', 'uniqueClicks', 'clicks'] as const).map((measure) => {
      const flag = periodFlags.get(`${cellKey(c)}|${measure}`)
      return {
        key: `${cellKey(c)}|${measure}`,
        cell: c,
        measure,
        reported: flag?.reported ?? sum(c.reported[measure]),
        observed: flag?.tandem ?? sum(c.tandem[measure]),
        flag,
      }
    }),
  )
  const shown = onlyFlagged ? rows.filter((row) => row.flag) : rows
  const dayFlags = r.flags.filter((f) => f.level === 'day')
  const toggleId = useId()
  return (
    <section className="card-section" aria-labelledby="reconciliation-heading" data-testid="reconciliation">
      <div className="section-header">
        <h2 id="reconciliation-heading">Reconciliation</h2>
        <VerdictPill verdict={r.verdict} />
      </div>
      <p className="muted">
        Computed when the report arrived. {r.checks.period} checks over the period and {r.checks.day} per day;
        honest noise explains up to {r.allowedFlags.period} and {r.allowedFlags.day} flags.
      </p>
      <dl className="stats" data-testid="reconciliation-stats">
        <div className={`stat${r.flagCounts.period > r.allowedFlags.period ? ' stat-bad' : ''}`}>
          <dt>Flagged over the period</dt>
          <dd>{r.flagCounts.period}</dd>
        </div>
        <div className={`stat${r.flagCounts.day > r.allowedFlags.day ? ' stat-bad' : ''}`}>
          <dt>Flagged days</dt>
          <dd>{r.flagCounts.day}</dd>
        </div>
        <div className={`stat${r.unreportedCells > 0 ? ' stat-bad' : ''}`}>
          <dt>Unreported cells</dt>
          <dd>{r.unreportedCells}</dd>
        </div>
        <div className="stat">
          <dt>Sends reported / counted</dt>
          <dd>
            {formatCount(r.totals.reportedSends)} / {formatCount(r.totals.tandemSends)}
          </dd>
        </div>
      </dl>

      <h3 className="subheading">Cells over the period</h3>
      <label className="checkbox-row" htmlFor={toggleId}>
        <input
          id={toggleId}
          type="checkbox"
          checked={onlyFlagged}
          onChange={(e) => setOnlyFlagged(e.target.checked)}
        />{' '}
        Only flagged cells
      </label>
      <DataTable
        caption="Each cell over the period: reported, counted by Tandem, the allowance and any flag"
        testId="reconciliation-table"
        columns={['Cell', ...MEASURE_COLUMNS]}
      >
        {shown.map((row) => (
          <tr
            key={row.key}
            className={row.flag ? 'is-flagged' : undefined}
            data-testid="reconciliation-row"
            data-flagged={row.flag ? 'true' : 'false'}
            data-cell={`${cellKey(row.cell)}|${row.measure}`}
          >
            <th scope="row">{cellName(row.cell)}</th>
            <MeasureCells
              measure={row.measure}
              reported={row.reported}
              observed={row.observed}
              flag={row.flag}
            />
          </tr>
        ))}
      </DataTable>

      <h3 className="subheading">Flagged days</h3>
      {dayFlags.length === 0 ? (
        <p className="muted">No day cell is outside its noise.</p>
      ) : (
        <details className="chart-data">
          <summary>
            Show the {dayFlags.length} flagged day cell{dayFlags.length === 1 ? '' : 's'}
          </summary>
          <DataTable
            caption="Day cells whose gap the declared noise does not explain"
            testId="day-flags"
            columns={['Day (UTC)', 'Cell', ...MEASURE_COLUMNS]}
          >
            {dayFlags.map((f) => (
              <tr key={`${f.day}|${cellKey(f)}|${f.measure}|${f.direction}`} className="is-flagged">
                <td>{f.day}</td>
                <th scope="row">{cellName(f)}</th>
                <MeasureCells measure={f.measure} reported={f.reported} observed={f.tandem} flag={f} />
              </tr>
            ))}
          </DataTable>
        </details>
      )}
    </section>
  )
}

/** One report version for an admin: what was reported, charted, and how it reconciles with Tandem's counts. */
export function ReportPage({ reportId }: { reportId: string }) {
  const load = useCallback((signal: AbortSignal) => reportsApi.report(reportId, signal), [reportId])
  const { status, data, error } = useResource(load)
  const title = data ? `${data.report.partnerName} report, ${calendarDay(data.report.periodStart)}` : 'Report'
  usePageTitle(title)
  return (
    <div className="page-content page-wide" data-testid="report-page">
      <BackLink to={data ? paths.adminPartner(data.report.clientId) : paths.admin}>
        {data ? data.report.partnerName : 'Admin console'}
      </BackLink>
      {error && <Notice tone="error">{error}</Notice>}
      {status === 'loading' && <p className="muted pad-y">Loading report…</p>}
      {status === 'error' && <h1 tabIndex={-1}>Report not available</h1>}
      {data && (
        <>
          <div className="page-header">
            <div>
              <h1 tabIndex={-1}>
                {data.report.partnerName}: {calendarDay(data.report.periodStart)} –{' '}
                {calendarDay(data.report.periodEnd)}
              </h1>
              <p className="page-lead">
                {data.report.status === 'final' ? 'Final' : 'Provisional'} report, received{' '}
                {fullTime(data.report.receivedAt)} (due {fullTime(data.report.dueAt)}).
              </p>
            </div>
            <span className="app-header-pills">
              <TimelinessPill version={data.report} />
              <VerdictPill verdict={data.report.verdict} />
            </span>
          </div>
          <section className="card-section" aria-labelledby="version-heading">
            <h2 id="version-heading">Version and privacy manifest</h2>
            <dl className="facts">
              <dt>Generated</dt>
              <dd>{fullTime(data.report.generatedAt)}</dd>
              <dt>Restates</dt>
              <dd>
                {data.report.supersedes ? (
                  <Link to={paths.adminReport(data.report.supersedes)}>the earlier version</Link>
                ) : (
                  <span className="muted">Nothing: the first version of this period</span>
                )}
              </dd>
              <dt>Restated by</dt>
              <dd>
                {data.report.supersededBy ? (
                  <Link to={paths.adminReport(data.report.supersededBy)}>a later version</Link>
                ) : (
                  <span className="muted">No later version</span>
                )}
              </dd>
            </dl>
            <h3 className="subheading">Privacy manifest</h3>
            <Manifest view={data} />
          </section>
          <Breakdowns view={data} />
          <Comparison view={data} />
          <ReconciliationSection view={data} />
        </>
      )}
    </div>
  )
}
