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
    })
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
] as const

const toVersion = (r: {
  id: string
  period_start: string
  period_end: string
  status: 'provisional' | 'final'
  supersedes: string | null
  jws: string
  created_at: Date
}): ReportVersionRow => ({
  id: r.id,
  periodStart: r.period_start,
  periodEnd: r.period_end,
  status: r.status,
  supersedes: r.supersedes,
  jws: r.jws,
  createdAt: r.created_at,
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
