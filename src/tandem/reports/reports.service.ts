import { compactVerify } from 'jose'
import { sql } from 'kysely'
import { z } from 'zod'
import type { Clock } from '../../lib/clock.ts'
import { AppError } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import type { Db } from '../db.ts'
import { selectAgreements } from '../partners/agreements.repository.ts'
import { findPartner, partnerKeySet } from '../partners/partners.service.ts'

export const REPORT_SCHEMA = 'tandem.partner-report/1'
const PERIOD_DAYS = 14
const DAY_MS = 86_400_000
const Day = z.iso.date()

/** The envelope Tandem checks before storing; the rows themselves are reconciled separately. */
const ReportEnvelope = z.object({
  schema: z.literal(REPORT_SCHEMA),
  partner: z.string(),
  period: z.object({ start: Day, end: Day }),
  generatedAt: z.iso.datetime({ offset: true }),
  status: z.enum(['provisional', 'final']),
  supersedes: z.uuid().optional(),
  dimensions: z.record(z.string(), z.unknown()),
  rows: z.array(z.record(z.string(), z.unknown())).max(100_000),
  privacy: z.record(z.string(), z.unknown()),
})

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
  } catch {
    throw new AppError(400, 'invalid_signature', 'the report is not signed by a key this partner registered')
  }
  const parsed = ReportEnvelope.safeParse(payload)
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
  if (endExclusive > clock.now()) throw new AppError(400, 'invalid_period', 'the period has not ended yet')
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
    return { id: row.id, receivedAt: row.received_at }
  })
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
