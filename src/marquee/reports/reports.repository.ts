import { sql } from 'kysely'
import type { Db } from '../db.ts'

/**
 * Serialises budget spending: two releases checking the ledger at once would otherwise both see room.
 * Must run inside a transaction.
 */
export async function lockLedger(trx: Db) {
  await sql`lock table privacy_budget_ledger in share row exclusive mode`.execute(trx)
}

/** ε already spent on each of these days, by every release. */
export async function selectSpentByDay(db: Db, days: readonly string[]): Promise<Map<string, number>> {
  const spent = new Map<string, number>()
  if (days.length === 0) return spent
  const rows = await db
    .selectFrom('privacy_budget_ledger')
    .select([sql<string>`day::text`.as('day'), sql<number>`sum(epsilon)::float8`.as('epsilon')])
    .where('day', 'in', days)
    .groupBy('day')
    .execute()
  for (const r of rows) spent.set(r.day, Number(r.epsilon))
  return spent
}

export async function insertLedgerEntries(
  db: Db,
  entries: readonly { releaseId: string; day: string; epsilon: number; createdAt: Date }[],
) {
  if (entries.length === 0) return
  await db
    .insertInto('privacy_budget_ledger')
    .values(
      entries.map((e) => ({
        release_id: e.releaseId,
        day: e.day,
        epsilon: e.epsilon,
        created_at: e.createdAt,
      })),
    )
    .execute()
}

export async function selectLedger(db: Db) {
  return db
    .selectFrom('privacy_budget_ledger')
    .select(['release_id', sql<string>`day::text`.as('day'), 'epsilon', 'created_at'])
    .orderBy('day')
    .orderBy('created_at')
    .execute()
}

export interface ReportVersionRow {
  id: string
  periodStart: string
  periodEnd: string
  status: 'provisional' | 'final'
  supersedes: string | null
  jws: string
  createdAt: Date
  epsilonPerDay?: number | null
  /** Per variant, the noisy sums before clamping, with their noise variances. */
  armCounts?: unknown
  /** Tandem's receipt id once delivered; a restatement's payload names it in `supersedes`. */
  tandemReportId?: string | null
  deliveredAt?: Date | null
  reconciliation?: unknown
}

export async function insertReportVersion(db: Db, v: ReportVersionRow) {
  await db
    .insertInto('report_versions')
    .values({
      id: v.id,
      period_start: v.periodStart,
      period_end: v.periodEnd,
      status: v.status,
      supersedes: v.supersedes,
      jws: v.jws,
      created_at: v.createdAt,
      epsilon_per_day: v.epsilonPerDay ?? null,
      arm_counts: v.armCounts === undefined ? null : JSON.stringify(v.armCounts),
    })
    .execute()
}

/** Records Tandem's receipt for a delivered version. */
export async function updateReportDelivery(
  db: Db,
  id: string,
  delivery: { tandemReportId: string; deliveredAt: Date; reconciliation: unknown },
) {
  await db
    .updateTable('report_versions')
    .set({
      tandem_report_id: delivery.tandemReportId,
      delivered_at: delivery.deliveredAt,
      reconciliation: JSON.stringify(delivery.reconciliation ?? null),
    })
    .where('id', '=', id)
    .execute()
}

const versionColumns = [
  'id',
  sql<string>`period_start::text`.as('period_start'),
  sql<string>`period_end::text`.as('period_end'),
  'status',
  'supersedes',
  'jws',
  'created_at',
  'epsilon_per_day',
  'arm_counts',
  'tandem_report_id',
  'delivered_at',
  'reconciliation',
] as const

const toVersion = (r: {
  id: string
  period_start: string
  period_end: string
  status: 'provisional' | 'final'
  supersedes: string | null
  jws: string
  created_at: Date
  epsilon_per_day: number | null
  arm_counts: unknown
  tandem_report_id: string | null
  delivered_at: Date | null
  reconciliation: unknown
}): ReportVersionRow => ({
  id: r.id,
  periodStart: r.period_start,
  periodEnd: r.period_end,
  status: r.status,
  supersedes: r.supersedes,
  jws: r.jws,
  createdAt: r.created_at,
  epsilonPerDay: r.epsilon_per_day,
  armCounts: r.arm_counts,
  tandemReportId: r.tandem_report_id,
  deliveredAt: r.delivered_at,
  reconciliation: r.reconciliation,
})

export async function findReportVersion(db: Db, id: string): Promise<ReportVersionRow | undefined> {
  const row = await db
    .selectFrom('report_versions')
    .select(versionColumns)
    .where('id', '=', id)
    .executeTakeFirst()
  return row && toVersion(row)
}

/** Every version released for a period, oldest first. */
export async function selectReportVersions(db: Db, periodStart: string): Promise<ReportVersionRow[]> {
  const rows = await db
    .selectFrom('report_versions')
    .select(versionColumns)
    .where('period_start', '=', periodStart)
    .orderBy('created_at')
    .execute()
  return rows.map(toVersion)
}

/** Every version, newest period first, then newest version first. */
export async function selectAllReportVersions(db: Db, limit = 500): Promise<ReportVersionRow[]> {
  const rows = await db
    .selectFrom('report_versions')
    .select(versionColumns)
    .orderBy('period_start', 'desc')
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute()
  return rows.map(toVersion)
}
