import type { Clock } from '../../lib/clock.ts'
import type { Db, PrivilegedApi } from '../db.ts'
import type { Agreement } from './agreements.repository.ts'
import { selectAgreements } from './agreements.repository.ts'
import { type AgreementStatus, agreementStatus } from './agreements.service.ts'
import {
  countDeletionReceipts,
  countGrants,
  countRecipientControls,
  type DeletionReceiptCounts,
  type GrantCounts,
  type RecipientControlCounts,
} from './compliance.repository.ts'
import type { PartnerApp } from './partners.repository.ts'
import { getPartner, listPartners } from './partners.service.ts'

const DAY_MS = 86_400_000
/** A report is due this long after its period ends (a day is provisional until T+2: MEASUREMENT.md). */
export const REPORT_GRACE_DAYS = 2
/** The agreements whose `reportEveryDays` obligation sets the report schedule. */
const REPORTING_APIS: ReadonlySet<PrivilegedApi> = new Set(['inbox', 'reporting'])

export interface ReceivedReport {
  /** The first day of the reported period (compared by UTC day). */
  periodStart: Date
  receivedAt: Date
}

/** Where received reports come from; until the Reporting API exists, none are. */
export type ReceivedReportsLookup = (db: Db, clientId: string) => Promise<ReceivedReport[]>

export interface ComplianceDeps {
  clock: Clock
  findReceivedReports?: ReceivedReportsLookup | undefined
}

export type ReportStatus = 'received' | 'due' | 'late'

export interface ReportPeriod {
  periodStart: Date
  /** Exclusive. */
  periodEnd: Date
  dueAt: Date
  status: ReportStatus
  receivedAt?: Date
}

export interface ComplianceSummary {
  partner: PartnerApp
  inAgreement: boolean
  agreements: Array<Agreement & { status: AgreementStatus }>
  reports: { everyDays: number | null; due: ReportPeriod[] }
  deletionReceipts: DeletionReceiptCounts
  grants: GrantCounts
  recipientControls: RecipientControlCounts
}

const noReports: ReceivedReportsLookup = async () => []

export async function partnerCompliance(db: Db, deps: ComplianceDeps, clientId: string) {
  const partner = await getPartner(db, clientId)
  const [summary] = await summarize(db, deps, [partner])
  return summary!
}

/** The compliance summary of every partner, for the admin console's overview. */
export async function allPartnersCompliance(db: Db, deps: ComplianceDeps): Promise<ComplianceSummary[]> {
  return summarize(db, deps, await listPartners(db))
}

async function summarize(db: Db, deps: ComplianceDeps, partners: PartnerApp[]): Promise<ComplianceSummary[]> {
  const now = deps.clock.now()
  const ids = partners.map((p) => p.client_id)
  const [agreements, receipts, grants, controls] = await Promise.all([
    selectAgreements(db, { clientIds: ids }),
    countDeletionReceipts(db, ids, now),
    countGrants(db, ids),
    countRecipientControls(db, ids),
  ])
  const lookup = deps.findReceivedReports ?? noReports
  return Promise.all(
    partners.map(async (partner) => {
      const own = agreements
        .filter((a) => a.client_id === partner.client_id)
        .map((a) => ({ ...a, status: agreementStatus(a, now) }))
      return {
        partner,
        inAgreement: partner.status === 'active' && own.some((a) => a.status === 'active'),
        agreements: own,
        reports: reportSchedule(own, now, await lookup(db, partner.client_id)),
        deletionReceipts: receipts.get(partner.client_id) ?? { outstanding: 0, overdue: 0, received: 0 },
        grants: grants.get(partner.client_id) ?? { active: 0, revoked: 0 },
        recipientControls: controls.get(partner.client_id) ?? { muted: 0, reports: 0 },
      }
    }),
  )
}

const startOfUtcDay = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS)
const dayKey = (d: Date) => d.toISOString().slice(0, 10)

/**
 * The report periods owed up to `now`: back-to-back periods of `reportEveryDays` UTC days from the
 * first reporting agreement's start day, kept where an inbox or reporting agreement covered them,
 * each due `REPORT_GRACE_DAYS` after it ends. The cadence is the latest agreement's. Pure.
 */
export function reportSchedule(
  agreements: readonly Agreement[],
  now: Date,
  received: readonly ReceivedReport[],
): { everyDays: number | null; due: ReportPeriod[] } {
  const obliged = agreements
    .filter((a) => REPORTING_APIS.has(a.api) && a.obligations?.reportEveryDays)
    .sort((a, b) => a.valid_from.getTime() - b.valid_from.getTime() || a.version - b.version)
  const latest = obliged.at(-1)
  if (!latest) return { everyDays: null, due: [] }
  const everyDays = latest.obligations.reportEveryDays!
  const covered = obliged
    .map((a) => ({
      from: a.valid_from.getTime(),
      until: Math.min(a.valid_until.getTime(), a.ended_at?.getTime() ?? Number.POSITIVE_INFINITY),
    }))
    .filter((c) => c.until > c.from && c.from <= now.getTime())
  const first = covered[0]
  if (!first) return { everyDays, due: [] }
  const coveredUntil = Math.max(...covered.map((c) => c.until))
  const receivedByDay = new Map(received.map((r) => [dayKey(r.periodStart), r.receivedAt]))
  const step = everyDays * DAY_MS
  const due: ReportPeriod[] = []
  for (
    let start = startOfUtcDay(new Date(first.from)).getTime();
    start < now.getTime() && start < coveredUntil;
    start += step
  ) {
    const end = start + step
    if (!covered.some((c) => c.from < end && c.until > start)) continue
    const periodStart = new Date(start)
    const dueAt = new Date(end + REPORT_GRACE_DAYS * DAY_MS)
    const receivedAt = receivedByDay.get(dayKey(periodStart))
    const status: ReportStatus = receivedAt ? 'received' : now > dueAt ? 'late' : 'due'
    due.push({ periodStart, periodEnd: new Date(end), dueAt, status, ...(receivedAt ? { receivedAt } : {}) })
  }
  return { everyDays, due }
}
