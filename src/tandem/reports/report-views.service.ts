import { sql } from 'kysely'
import type { Clock } from '../../lib/clock.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import type { Db } from '../db.ts'
import { listDailyCounts } from '../partner-api/counts.service.ts'
import { selectAgreements } from '../partners/agreements.repository.ts'
import { agreementStatus } from '../partners/agreements.service.ts'
import { REPORT_GRACE_DAYS } from '../partners/compliance.service.ts'
import { getPartner } from '../partners/partners.service.ts'
import type { DeclaredPrivacy, Reconciliation, ReportedRow } from './reconciliation.ts'

const DAY_MS = 86_400_000
const MEASURES = ['sends', 'clicks', 'uniqueClicks'] as const
type Measure = (typeof MEASURES)[number]
/** The dimensions charted per day; recipient type is the fourth, charted only on the public page. */
const CHART_DIMENSIONS = ['interface', 'surface', 'variant'] as const
const PUBLIC_DIMENSIONS = [...CHART_DIMENSIONS, 'recipientType'] as const
/** The public page shows at most this many periods (about a year). */
const PUBLIC_PERIODS = 26

interface StoredPayload {
  generatedAt: string
  dimensions: { interface: string[]; surface: string[]; variant: string[]; recipientType: string[] }
  rows: ReportedRow[]
  privacy: DeclaredPrivacy & Record<string, unknown>
}

type ReportRecord = Awaited<ReturnType<typeof selectReports>>[number]

/** Every version a partner delivered (or one version by id), with its stored verdict, oldest first. */
function selectReports(db: Db, filter: { clientId?: string; id?: string; status?: 'final' }) {
  let query = db
    .selectFrom('partner_reports as r')
    .leftJoin('partner_report_reconciliations as c', 'c.report_id', 'r.id')
    .select([
      'r.id',
      'r.client_id',
      sql<string>`r.period_start::text`.as('period_start'),
      sql<string>`r.period_end::text`.as('period_end'),
      'r.status',
      'r.supersedes',
      'r.received_at',
      'c.verdict',
      'c.flagged_cells',
    ])
  if (filter.clientId) query = query.where('r.client_id', '=', filter.clientId)
  if (filter.id) query = query.where('r.id', '=', filter.id)
  if (filter.status) query = query.where('r.status', '=', filter.status)
  return query.orderBy('r.period_start').orderBy('r.received_at').execute()
}

const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10)

/** The UTC days of a period, first to last. */
export function daysOf(period: { start: string; end: string }): string[] {
  const days: string[] = []
  for (let d = period.start; d <= period.end; d = addDays(d, 1)) days.push(d)
  return days
}

/** Due when the compliance schedule says: REPORT_GRACE_DAYS after the period's last day ends. */
function dueAt(periodEnd: string): Date {
  return new Date(Date.parse(`${addDays(periodEnd, 1)}T00:00:00Z`) + REPORT_GRACE_DAYS * DAY_MS)
}

function presentVersion(r: ReportRecord, supersededBy: string | null) {
  const due = dueAt(r.period_end)
  return {
    id: r.id,
    clientId: r.client_id,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    status: r.status,
    supersedes: r.supersedes,
    supersededBy,
    receivedAt: r.received_at.toISOString(),
    dueAt: due.toISOString(),
    timeliness: r.received_at <= due ? ('on_time' as const) : ('late' as const),
    verdict: r.verdict ?? null,
    flaggedCells: r.flagged_cells ?? null,
  }
}

function supersededByMap(records: readonly ReportRecord[]): Map<string, string> {
  const map = new Map<string, string>()
  for (const r of records) if (r.supersedes) map.set(r.supersedes, r.id)
  return map
}

/** Every version of every report a partner delivered, newest period first, newest version first. */
export async function listPartnerReports(db: Db, clientId: string) {
  await getPartner(db, clientId)
  const records = await selectReports(db, { clientId })
  const next = supersededByMap(records)
  return records
    .map((r) => presentVersion(r, next.get(r.id) ?? null))
    .reverse()
    .sort((a, b) => b.periodStart.localeCompare(a.periodStart))
}

const zeroes = (n: number) => Array.from({ length: n }, () => 0)
type Series = Record<Measure, number[]>
const emptySeries = (n: number): Series => ({ sends: zeroes(n), clicks: zeroes(n), uniqueClicks: zeroes(n) })

/** Daily totals per value of each dimension, over the rows given, aligned with `days`. */
function breakdowns<D extends string>(
  rows: readonly ReportedRow[],
  days: readonly string[],
  dimensions: readonly D[],
  values: Record<D, readonly string[]>,
) {
  const index = new Map(days.map((d, i) => [d, i]))
  const result = {} as Record<D, Array<{ value: string } & Series>>
  for (const dimension of dimensions) {
    const byValue = new Map(values[dimension].map((v) => [v, { value: v, ...emptySeries(days.length) }]))
    for (const row of rows) {
      const series = byValue.get((row as unknown as Record<D, string>)[dimension])
      const i = index.get(row.day)
      if (!series || i === undefined) continue
      for (const m of MEASURES) series[m][i]! += row[m]
    }
    result[dimension] = [...byValue.values()]
  }
  return result
}

async function loadPayload(db: Db, id: string) {
  const row = await db
    .selectFrom('partner_reports as r')
    .leftJoin('partner_report_reconciliations as c', 'c.report_id', 'r.id')
    .select(['r.payload', 'c.result'])
    .where('r.id', '=', id)
    .executeTakeFirst()
  if (!row) throw notFound('report')
  return {
    payload: row.payload as unknown as StoredPayload,
    reconciliation: row.result as Reconciliation | null,
  }
}

/**
 * One report version for the admin console: its metadata, the manifest as declared, the `tandem` rows
 * summed per day for each dimension, each cell's reported and Tandem-counted daily values (Tandem's
 * counts as they stand now), and the reconciliation exactly as stored at intake.
 */
export async function getReportView(db: Db, id: string) {
  const [record] = await selectReports(db, { id })
  if (!record) throw notFound('report')
  const siblings = await selectReports(db, { clientId: record.client_id })
  const partner = await getPartner(db, record.client_id)
  const { payload, reconciliation } = await loadPayload(db, id)
  if (!reconciliation) throw new AppError(500, 'reconciliation_missing', 'the report has no reconciliation')
  const period = { start: record.period_start, end: record.period_end }
  const days = daysOf(period)
  const tandemRows = payload.rows.filter((r) => r.recipientType === 'tandem')
  const counts = await listDailyCounts(db, record.client_id, { from: period.start, to: period.end })
  const index = new Map(days.map((d, i) => [d, i]))
  const cellKey = (c: { interface: string; surface: string; variant: string }) =>
    `${c.interface}|${c.surface}|${c.variant}`
  const cells = new Map<
    string,
    { interface: string; surface: string; variant: string; reported: Series; tandem: Series }
  >()
  const cellOf = (c: { interface: string; surface: string; variant: string }) => {
    let cell = cells.get(cellKey(c))
    if (!cell) {
      cell = {
        interface: c.interface,
        surface: c.surface,
        variant: c.variant,
        reported: emptySeries(days.length),
        tandem: emptySeries(days.length),
      }
      cells.set(cellKey(c), cell)
    }
    return cell
  }
  for (const r of tandemRows) {
    const i = index.get(r.day)
    if (i === undefined) continue
    const cell = cellOf(r)
    for (const m of MEASURES) cell.reported[m][i] = r[m]
  }
  // Cells Tandem counted that the report lacks (an undeclared variant) are charted too, reported as zero.
  for (const c of counts) {
    const i = index.get(c.day)
    if (i === undefined) continue
    const cell = cellOf(c)
    for (const m of MEASURES) cell.tandem[m][i] = c[m]
  }
  return {
    report: {
      ...presentVersion(record, supersededByMap(siblings).get(record.id) ?? null),
      partnerName: partner.name,
      generatedAt: payload.generatedAt,
    },
    manifest: payload.privacy,
    dimensions: payload.dimensions,
    days,
    breakdowns: breakdowns(tandemRows, days, CHART_DIMENSIONS, payload.dimensions),
    cells: [...cells.values()],
    reconciliation,
  }
}

const API_WORDS: Record<string, string> = {
  inbox: 'send recommendations to Tandem inboxes (Inbox API)',
  friends: 'see which friends also use it (Friends API)',
  activity: 'post what people watch, when they turn it on (Activity API)',
  reporting: 'deliver its biweekly report (Reporting API)',
}

/** The privacy manifest of a report, said in plain words for anyone. */
export function describePrivacy(privacy: StoredPayload['privacy']): string[] {
  const words: string[] = []
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null)
  if (privacy.mechanism === 'discrete_laplace') {
    const perDay = num(privacy.epsilonPerDay)
    const total = num(privacy.epsilonTotal)
    words.push(
      'Random noise (discrete Laplace) was added to every number, including the zeros, so no single person’s activity can be read from the report.',
    )
    if (perDay !== null) {
      words.push(
        `The privacy budget was ε = ${perDay} per day${total !== null ? ` and ${total} over the whole report` : ''}: the smaller, the more private.`,
      )
    }
  } else {
    words.push('No privacy noise was added to these numbers.')
  }
  const h = num(privacy.halfWidth95)
  if (h !== null && h > 0) {
    words.push(`Each number is within ±${h} of the true count 95% of the time.`)
  }
  const bound = privacy.contributionBound as { sendsPerSenderPerDay?: unknown } | undefined
  const cap = num(bound?.sendsPerSenderPerDay)
  if (cap !== null) {
    words.push(`No one person counts for more than ${cap} recommendations a day.`)
  }
  const clipped = num(privacy.clippedShare?.sends)
  if (clipped !== null && clipped > 0) {
    words.push(`That cap left out ${(clipped * 100).toFixed(1)}% of the recommendations sent.`)
  }
  words.push('The counts are per day and per group; they never name, or point to, anyone.')
  return words
}

/**
 * What anyone may see about a partner (DESIGN.md story 6): who it is, which privileged APIs it is
 * whitelisted for and until when, and the aggregates of its latest final report for each period.
 */
export async function getPublicPartner(db: Db, clock: Clock, clientId: string) {
  const partner = await getPartner(db, clientId)
  const now = clock.now()
  const agreements = partner.status === 'active' ? await selectAgreements(db, { clientIds: [clientId] }) : []
  const whitelist = new Map<string, Date>()
  for (const a of agreements) {
    if (agreementStatus(a, now) !== 'active') continue
    const until = whitelist.get(a.api)
    if (!until || a.valid_until > until) whitelist.set(a.api, a.valid_until)
  }
  const finals = await selectReports(db, { clientId, status: 'final' })
  const latest = new Map<string, ReportRecord>()
  for (const r of finals) latest.set(r.period_start, r) // ordered by received_at: the last one wins
  const chosen = [...latest.values()]
    .sort((a, b) => b.period_start.localeCompare(a.period_start))
    .slice(0, PUBLIC_PERIODS)
  const periods = []
  for (const r of chosen) {
    const { payload } = await loadPayload(db, r.id)
    const days = daysOf({ start: r.period_start, end: r.period_end })
    periods.push({
      reportId: r.id,
      periodStart: r.period_start,
      periodEnd: r.period_end,
      receivedAt: r.received_at.toISOString(),
      days,
      dimensions: payload.dimensions,
      totals: breakdowns(payload.rows, days, PUBLIC_DIMENSIONS, payload.dimensions),
      rows: payload.rows.map((row) => ({
        day: row.day,
        interface: row.interface,
        surface: row.surface,
        variant: row.variant,
        recipientType: row.recipientType,
        sends: row.sends,
        clicks: row.clicks,
        uniqueClicks: row.uniqueClicks,
      })),
      privacy: {
        mechanism: payload.privacy.mechanism,
        epsilonPerDay: payload.privacy.epsilonPerDay ?? null,
        epsilonTotal: payload.privacy.epsilonTotal ?? null,
        halfWidth95: payload.privacy.halfWidth95 ?? null,
        contributionBound: payload.privacy.contributionBound ?? null,
        clippedShare: payload.privacy.clippedShare ?? null,
        inPlainWords: describePrivacy(payload.privacy),
      },
    })
  }
  return {
    partner: {
      id: partner.client_id,
      clientId: partner.client_id,
      name: partner.name,
      homepageUrl: partner.homepage_url,
      privacyPolicyUrl: partner.privacy_policy_url,
      status: partner.status,
    },
    apis: [...whitelist.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([api, until]) => ({ api, validUntil: until.toISOString(), purpose: API_WORDS[api] ?? api })),
    periods,
  }
}
