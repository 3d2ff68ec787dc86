import type { PartnerReport } from './builder.ts'
import type { ReportView } from './report-view.ts'
import type { ReportVersionRow } from './reports.repository.ts'

/**
 * The report for people: server-rendered HTML, charts as inline SVG drawn with presentation
 * attributes only (the page's CSP allows no inline style and no script), the stylesheet from
 * /reports/report.css.
 */

export const REPORT_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "script-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

export const REPORT_CSS = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1f2430; background: #f6f7fb; }
main { max-width: 1120px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; } h2 { font-size: 1.2rem; margin: 28px 0 8px; }
.meta, .note { color: #5a6272; } a { color: #3b4bd8; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 16px; }
figure { margin: 0; background: #fff; border: 1px solid #dde1ea; border-radius: 8px; padding: 12px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #5a6272; }
table { border-collapse: collapse; background: #fff; margin: 4px 0 12px; }
th, td { border: 1px solid #dde1ea; padding: 4px 10px; text-align: left; font-variant-numeric: tabular-nums; }
.verdict { font-weight: 700; padding: 2px 8px; border-radius: 4px; }
.verdict.ok { background: #dcf5e3; color: #176b33; } .verdict.bad { background: #fde2e1; color: #a3231b; }
.actions a { margin-right: 16px; }
`

const COLORS = ['#3b4bd8', '#e4572e', '#17a398', '#f3a712', '#8e44ad', '#5a6272']

export const escapeHtml = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  )

function niceMax(value: number): number {
  if (value <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(value))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= value) return m * p
  return 10 * p
}

interface Series {
  name: string
  values: number[]
}

/** A line chart of daily values, one line per series, with axes and a legend. */
export function lineChart(id: string, title: string, days: readonly string[], series: readonly Series[]) {
  const W = 560
  const H = 240
  const left = 48
  const right = 12
  const top = 28
  const bottom = 36
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)))
  const x = (i: number) => left + (days.length <= 1 ? 0 : (i * (W - left - right)) / (days.length - 1))
  const y = (v: number) => top + (H - top - bottom) * (1 - v / max)
  const parts: string[] = []
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    const v = max * t
    parts.push(
      `<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e6e8ef" stroke-width="1"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${Number.isInteger(v) ? v : v.toFixed(1)}</text>`,
    )
  }
  days.forEach((d, i) => {
    if (i % 2 === 0)
      parts.push(
        `<text x="${x(i)}" y="${H - bottom + 16}" text-anchor="middle">${escapeHtml(d.slice(5))}</text>`,
      )
  })
  let lx = left
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length]
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`)
    s.values.forEach((v, i) => {
      parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${color}"/>`)
    })
    parts.push(
      `<rect x="${lx}" y="8" width="10" height="10" fill="${color}"/>`,
      `<text x="${lx + 14}" y="17">${escapeHtml(s.name)}</text>`,
    )
    lx += 28 + s.name.length * 6.2
  })
  return `<svg class="chart" data-chart="${escapeHtml(id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(title)}</title>${parts.join('')}</svg>`
}

/** Click-through per variant: a bar per arm with its 95% interval as a whisker; "n < 150" when none. */
export function ctrChart(
  id: string,
  arms: readonly { variant: string; clickThrough: { estimate: number; low: number; high: number } | null }[],
) {
  const W = 560
  const rowH = 44
  const H = 40 + arms.length * rowH
  const left = 110
  const right = 60
  const max = niceMax(Math.max(0.01, ...arms.map((a) => a.clickThrough?.high ?? 0)))
  const x = (v: number) => left + ((W - left - right) * v) / max
  const parts: string[] = []
  for (const t of [0, 0.5, 1]) {
    const v = max * t
    parts.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="16" y2="${H - 18}" stroke="#e6e8ef" stroke-width="1"/>`,
      `<text x="${x(v)}" y="${H - 4}" text-anchor="middle">${(v * 100).toFixed(1)}%</text>`,
    )
  }
  arms.forEach((a, i) => {
    const cy = 26 + i * rowH + rowH / 2
    const color = COLORS[i % COLORS.length]
    parts.push(`<text x="${left - 8}" y="${cy + 4}" text-anchor="end">${escapeHtml(a.variant)}</text>`)
    const c = a.clickThrough
    if (!c) {
      parts.push(`<text x="${left + 4}" y="${cy + 4}">fewer than 150 sends: no estimate</text>`)
      return
    }
    parts.push(
      `<rect x="${left}" y="${cy - 10}" width="${Math.max(1, x(c.estimate) - left).toFixed(1)}" height="20" fill="${color}" opacity="0.75"/>`,
      `<line x1="${x(c.low).toFixed(1)}" x2="${x(c.high).toFixed(1)}" y1="${cy}" y2="${cy}" stroke="#1f2430" stroke-width="2"/>`,
      `<line x1="${x(c.low).toFixed(1)}" x2="${x(c.low).toFixed(1)}" y1="${cy - 7}" y2="${cy + 7}" stroke="#1f2430" stroke-width="2"/>`,
      `<line x1="${x(c.high).toFixed(1)}" x2="${x(c.high).toFixed(1)}" y1="${cy - 7}" y2="${cy + 7}" stroke="#1f2430" stroke-width="2"/>`,
      `<text x="${(x(c.high) + 6).toFixed(1)}" y="${cy + 4}">${(c.estimate * 100).toFixed(2)}%</text>`,
    )
  })
  return `<svg class="chart" data-chart="${escapeHtml(id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Click-through per variant with 95% intervals" xmlns="http://www.w3.org/2000/svg"><title>Click-through per variant with 95% intervals</title>${parts.join('')}</svg>`
}

const DIMENSIONS = [
  ['interface', 'interface'],
  ['surface', 'initiation surface'],
  ['variant', 'variant'],
  ['recipientType', 'recipient type'],
] as const

const MEASURE_NAMES = { sends: 'sends', clicks: 'confirmed clicks' } as const

/** Daily totals of a measure per value of a dimension (sums of published cells). */
export function dailyByDimension(
  report: PartnerReport,
  dimension: (typeof DIMENSIONS)[number][0],
  measure: 'sends' | 'clicks',
): { days: string[]; series: Series[] } {
  const days = [...new Set(report.rows.map((r) => r.day))].sort()
  const dayIndex = new Map(days.map((d, i) => [d, i]))
  const series = report.dimensions[dimension].map((name) => ({ name, values: days.map(() => 0) }))
  const byName = new Map(series.map((s) => [s.name, s]))
  for (const r of report.rows) {
    const s = byName.get(r[dimension])
    if (s) s.values[dayIndex.get(r.day) as number]! += r[measure] ?? 0
  }
  return { days, series }
}

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="stylesheet" href="/reports/report.css"></head>
<body><main>${body}</main></body></html>`

const pct = (x: number) => `${(x * 100).toFixed(2)}%`

export function renderReportList(versions: readonly ReportVersionRow[]): string {
  const rows = versions
    .map((v) => {
      const verdict = (v.reconciliation as { verdict?: string } | null)?.verdict
      return `<tr><td><a href="/reports/${v.id}">${escapeHtml(v.periodStart)} – ${escapeHtml(v.periodEnd)}</a></td>
<td>${escapeHtml(v.status)}</td><td>${v.supersedes ? 'restatement' : 'first'}</td><td>${v.epsilonPerDay ?? ''}</td>
<td>${v.deliveredAt ? escapeHtml(v.deliveredAt.toISOString()) : 'not delivered'}</td><td>${escapeHtml(verdict ?? '')}</td>
<td><a href="/reports/${v.id}.csv">CSV</a></td></tr>`
    })
    .join('\n')
  return page(
    'Partner reports',
    `<h1>Partner reports</h1><p class="meta">Every version Marquee released of the biweekly report to Tandem, newest first.</p>
<table><thead><tr><th>Period</th><th>Status</th><th>Version</th><th>ε per day</th><th>Delivered</th><th>Reconciliation</th><th>Export</th></tr></thead>
<tbody>${rows || '<tr><td colspan="7">No report released yet.</td></tr>'}</tbody></table>`,
  )
}

export function renderReportPage(view: ReportView): string {
  const { version, report, experiment, reconciliation } = view
  const m = report.privacy
  const charts: string[] = []
  for (const [dimension, label] of DIMENSIONS) {
    for (const measure of ['sends', 'clicks'] as const) {
      const { days, series } = dailyByDimension(report, dimension, measure)
      const title = `Daily ${MEASURE_NAMES[measure]} by ${label}`
      charts.push(
        `<figure><figcaption>${escapeHtml(title)}</figcaption>${lineChart(`${measure}-${dimension}`, title, days, series)}</figure>`,
      )
    }
  }
  const flaggedSrm = experiment.srm.filter((s) => s.flagged)
  const srmRows = (flaggedSrm.length ? flaggedSrm : experiment.srm.slice(0, 6))
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.day)}</td><td>${escapeHtml(s.interface)}</td><td>${s.observed.join(' / ')}</td><td>${s.chi2.toFixed(2)}</td><td>${s.pValue.toPrecision(3)}</td><td>${s.flagged ? 'mismatch' : 'ok'}</td></tr>`,
    )
    .join('')
  const ctrRows = experiment.arms
    .map((a) => {
      const c = a.clickThrough
      return `<tr><td>${escapeHtml(a.variant)}</td><td>${a.sends}</td><td>${a.uniqueClicks}</td><td>${c ? `${pct(c.estimate)} (${pct(c.low)} – ${pct(c.high)})` : 'fewer than 150 sends'}</td></tr>`
    })
    .join('')
  const verdictClass = reconciliation?.verdict === 'consistent' ? 'ok' : 'bad'
  const reconciliationHtml = reconciliation
    ? `<p>Verdict: <span class="verdict ${verdictClass}" data-testid="reconciliation-verdict">${escapeHtml(reconciliation.verdict)}</span>
 — ${reconciliation.flags.length} flagged cells.${
   reconciliation.totals
     ? ` Tandem counted ${reconciliation.totals.tandemSends ?? '?'} Inbox API sends against ${reconciliation.totals.reportedSends ?? '?'} reported in the tandem rows.`
     : ''
 }</p>`
    : '<p>Not delivered to Tandem yet: no reconciliation.</p>'
  return page(
    `Partner report ${report.period.start} – ${report.period.end}`,
    `<h1>Partner report ${escapeHtml(report.period.start)} – ${escapeHtml(report.period.end)}</h1>
<p class="meta">${escapeHtml(report.status)} · version ${escapeHtml(version.id)} · generated ${escapeHtml(report.generatedAt)}${
      version.tandemReportId ? ` · Tandem receipt ${escapeHtml(version.tandemReportId)}` : ''
    }${report.supersedes ? ` · restates Tandem’s ${escapeHtml(report.supersedes)}` : ''}</p>
<p class="actions"><a href="/reports/${version.id}.csv" download>Download CSV</a><a href="/api/reports/${version.id}">JSON</a><a href="/reports">All reports</a></p>
<h2>Tandem’s reconciliation</h2>${reconciliationHtml}
<h2>Privacy manifest</h2>
<table><tbody>
<tr><th>Mechanism</th><td>${escapeHtml(m.mechanism)} (unit: one sender on one UTC day)</td></tr>
<tr><th>ε per day</th><td>${m.epsilonPerDay ?? '—'} (total ${m.epsilonTotal ?? '—'})</td></tr>
<tr><th>Contribution bound</th><td>${m.contributionBound.sendsPerSenderPerDay} sends and ${m.contributionBound.clicksPerSenderPerDay} clicks per sender per day</td></tr>
<tr><th>Noise scale</th><td>${m.noiseScale ?? '—'}</td></tr>
<tr><th>95% half-width per cell</th><td>±${m.halfWidth95 ?? 0}</td></tr>
<tr><th>Share clipped</th><td>sends ${pct(m.clippedShare.sends)}, clicks ${pct(m.clippedShare.clicks)}</td></tr>
</tbody></table>
<h2>Click-through per variant</h2>
<p class="note">Confirmed unique clicks over sends, with 95% intervals that include the noise variance; no estimate below ${experiment.minSendsPerArm} sends per arm. ${experiment.excludedSenders} senders seen in more than one variant are excluded.</p>
<figure><figcaption>Click-through per variant</figcaption>${ctrChart('ctr-variant', experiment.arms)}</figure>
<table><thead><tr><th>Variant</th><th>Sends</th><th>Unique clicks</th><th>CTR (95% interval)</th></tr></thead><tbody>${ctrRows}</tbody></table>
<h2>Sample-ratio mismatch</h2>
<p>${
      experiment.srmFlagged
        ? `<span class="verdict bad">${flaggedSrm.length} of ${experiment.srm.length} day × interface tests flagged</span> (χ², p &lt; 0.001)`
        : `<span class="verdict ok">no mismatch</span> in ${experiment.srm.length} day × interface tests (χ², p &lt; 0.001)`
    }</p>
${srmRows ? `<table><thead><tr><th>Day</th><th>Interface</th><th>Senders per arm</th><th>χ²</th><th>p</th><th>Verdict</th></tr></thead><tbody>${srmRows}</tbody></table>` : ''}
<h2>Daily sends and clicks</h2>
<p class="note">Sums of published (noised) cells; each cell is within ±${m.halfWidth95 ?? 0} of the clipped truth with 95% probability.</p>
<div class="charts">${charts.join('\n')}</div>`,
  )
}
