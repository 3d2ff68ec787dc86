import { compactVerify, errors } from 'jose'
import { sql } from 'kysely'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.ts'
import { AppError } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { INTERFACES, RECIPIENT_TYPES, SURFACES, VARIANT_PATTERN } from '../../lib/measurement-dimensions.ts'
import type { Db } from '../db.ts'
import { selectAgreements } from '../partners/agreements.repository.ts'
import { findPartner, partnerKeySet } from '../partners/partners.service.ts'
import { type Reconciliation, reconcile } from './reconciliation.ts'

export const REPORT_SCHEMA = 'tandem.partner-report/1'
const PERIOD_DAYS = 14
const DAY_MS = 86_400_000
const Day = z.iso.date()

const Count = z.number().int().min(0)
const Share = z.number().min(0).max(1)

/** tandem.partner-report/1 (DESIGN.md §5): the envelope, every row, and the privacy manifest Tandem reads. */
const Report = z.object({
  schema: z.literal(REPORT_SCHEMA),
  partner: z.string(),
  period: z.object({ start: Day, end: Day }),
  generatedAt: z.iso.datetime({ offset: true }),
  status: z.enum(['provisional', 'final']),
  supersedes: z.uuid().optional(),
  dimensions: z.looseObject({
    interface: z.array(z.string()),
    surface: z.array(z.string()),
    variant: z.array(z.string().regex(VARIANT_PATTERN)).min(1).max(20),
    recipientType: z.array(z.string()),
  }),
  rows: z
    .array(
      z.object({
        day: Day,
        interface: z.string(),
        surface: z.string(),
        variant: z.string(),
        recipientType: z.string(),
        sends: Count,
        clicks: Count,
        uniqueClicks: Count,
      }),
    )
    .max(100_000),
  privacy: z.looseObject({
    mechanism: z.enum(['discrete_laplace', 'none']),
    noiseScale: z.number().positive().nullable().optional(),
    halfWidth95: z.number().min(0).nullable().optional(),
    clippedShare: z.object({ sends: Share.optional(), clicks: Share.optional() }).nullable().optional(),
  }),
})
type Report = z.infer<typeof Report>

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && new Set(a).size === a.length && a.every((x) => b.includes(x))

/** Every cell of the closed domain, each day of the period, exactly once (zeros included). */
function checkCoverage(report: Report, days: readonly string[]) {
  const d = report.dimensions
  if (
    !sameSet(d.interface, INTERFACES) ||
    !sameSet(d.surface, SURFACES) ||
    !sameSet(d.recipientType, RECIPIENT_TYPES) ||
    new Set(d.variant).size !== d.variant.length
  ) {
    throw new AppError(
      400,
      'incomplete_report',
      'the dimensions are not the closed lists of the measurement domain',
    )
  }
  const seen = new Set<string>()
  for (const r of report.rows) {
    const key = `${r.day}|${r.interface}|${r.surface}|${r.variant}|${r.recipientType}`
    const inDomain =
      days.includes(r.day) &&
      d.interface.includes(r.interface) &&
      d.surface.includes(r.surface) &&
      d.variant.includes(r.variant) &&
      d.recipientType.includes(r.recipientType)
    if (!inDomain || seen.has(key)) {
      throw new AppError(400, 'incomplete_report', 'a row is outside the domain or repeated', { row: key })
    }
    seen.add(key)
  }
  const expected =
    days.length * d.interface.length * d.surface.length * d.variant.length * d.recipientType.length
  if (seen.size !== expected) {
    throw new AppError(
      400,
      'incomplete_report',
      'every cell of the domain must be reported, zeros included',
      {
        expected,
        received: seen.size,
      },
    )
  }
}

/**
 * Accepts a partner's report: a compact JWS made with the key it registered (SECURITY.md row 45), for
 * 14 UTC days that a reporting agreement covers, stored append-only as a new version.
 */
export async function receiveReport(db: Db, clock: Clock, clientId: string, jws: string) {
  const partner = await findPartner(db, clientId)
  if (!partner) throw new AppError(403, 'partner_not_found', 'unknown partner')
  let payload: unknown
  try {
    const verified = await compactVerify(jws, partnerKeySet(partner), {
      algorithms: ['EdDSA', 'ES256', 'PS256', 'RS256'],
    })
    payload = JSON.parse(new TextDecoder().decode(verified.payload))
  } catch (error) {
    // No registered key fits the header (kid, key type): signed with a key Tandem does not know.
    if (error instanceof errors.JWKSNoMatchingKey) {
      throw new AppError(
        400,
        'unknown_signing_key',
        'the report is signed with a key this partner has not registered',
      )
    }
    throw new AppError(400, 'invalid_signature', 'the report’s signature does not verify')
  }
  const parsed = Report.safeParse(payload)
  if (!parsed.success) {
    throw new AppError(
      400,
      'invalid_report',
      'the report does not follow tandem.partner-report/1',
      parsed.error.issues.map((i) => i.path.join('.')),
    )
  }
  const report = parsed.data
  if (report.partner !== clientId)
    throw new AppError(403, 'wrong_partner', 'the report names another partner')
  const start = new Date(`${report.period.start}T00:00:00Z`)
  const end = new Date(`${report.period.end}T00:00:00Z`)
  if ((end.getTime() - start.getTime()) / DAY_MS !== PERIOD_DAYS - 1) {
    throw new AppError(
      400,
      'invalid_period',
      `a report covers ${PERIOD_DAYS} UTC days, start and end included`,
    )
  }
  const endExclusive = new Date(end.getTime() + DAY_MS)
  // Any version that was in force during the period counts, including one since superseded.
  const covered = (await selectAgreements(db, { clientIds: [clientId] })).some(
    (a) =>
      (a.api === 'reporting' || a.api === 'inbox') &&
      a.valid_from < endExclusive &&
      a.valid_until > start &&
      (a.ended_at === null || a.ended_at > start),
  )
  if (!covered) throw new AppError(403, 'period_not_covered', 'no agreement covers this period')
  if (endExclusive > clock.now()) throw new AppError(400, 'period_not_ended', 'the period has not ended yet')
  checkCoverage(
    report,
    Array.from({ length: PERIOD_DAYS }, (_, i) =>
      new Date(start.getTime() + i * DAY_MS).toISOString().slice(0, 10),
    ),
  )
  const reconciliation = await reconcile(db, clientId, report)
  return db.transaction().execute(async (trx) => {
    if (report.supersedes) {
      const previous = await trx
        .selectFrom('partner_reports')
        .select(['id', sql<string>`period_start::text`.as('period_start')])
        .where('id', '=', report.supersedes)
        .where('client_id', '=', clientId)
        .executeTakeFirst()
      if (!previous || previous.period_start !== report.period.start) {
        throw new AppError(
          400,
          'invalid_supersedes',
          'supersedes must name an earlier version of this period',
        )
      }
    }
    const row = await trx
      .insertInto('partner_reports')
      .values({
        id: newId(),
        client_id: clientId,
        period_start: report.period.start,
        period_end: report.period.end,
        status: report.status,
        supersedes: report.supersedes ?? null,
        jws,
        payload: JSON.stringify(report),
        received_at: clock.now(),
      })
      .returning(['id', 'received_at'])
      .executeTakeFirstOrThrow()
    await trx
      .insertInto('partner_report_reconciliations')
      .values({
        report_id: row.id,
        client_id: clientId,
        verdict: reconciliation.verdict,
        flagged_cells: reconciliation.flags.length,
        result: JSON.stringify(reconciliation),
        created_at: row.received_at,
      })
      .execute()
    return { id: row.id, receivedAt: row.received_at, reconciliation }
  })
}

/** The reconciliation stored with a report version. */
export async function findReconciliation(db: Db, reportId: string): Promise<Reconciliation | undefined> {
  const row = await db
    .selectFrom('partner_report_reconciliations')
    .select('result')
    .where('report_id', '=', reportId)
    .executeTakeFirst()
  return row?.result as Reconciliation | undefined
}

/** For the compliance schedule: which periods a partner delivered, and when. */
export async function findReceivedReports(db: Db, clientId: string) {
  const rows = await db
    .selectFrom('partner_reports')
    .select([sql<string>`period_start::text`.as('period_start'), 'received_at'])
    .where('client_id', '=', clientId)
    .orderBy('received_at')
    .execute()
  return rows.map((r) => ({
    periodStart: new Date(`${r.period_start}T00:00:00Z`),
    receivedAt: r.received_at,
  }))
}
