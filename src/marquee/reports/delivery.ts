import type { Kysely } from 'kysely'
import { AppError } from '../../lib/errors.ts'
import { type ReportReceipt, TandemApiError, type TandemPartnerClient } from '../../partner-sdk/index.ts'
import type { MarqueeContext } from '../context.ts'
import type { MarqueeDatabase } from '../db.ts'
import { createMarqueeClient, loadTandemRegistration, signingKeys } from '../tandem-link/index.ts'
import { type BudgetPolicy, DEFAULT_BUDGET_POLICY, remainingBudget } from './budget.ts'
import { addDays, PERIOD_DAYS, periodDays, periodStatus } from './builder.ts'
import {
  findReportVersion,
  type ReportVersionRow,
  selectReportVersions,
  updateReportDelivery,
} from './reports.repository.ts'
import { type ReleaseStage, releaseReport } from './reports.service.ts'
import { rollupSource } from './rollup-source.ts'

const DAY = /^\d{4}-\d{2}-\d{2}$/

export type DeliveryStage = ReleaseStage | 'delivering'

export interface DeliverOptions {
  /** The period by its first or its last UTC day ('YYYY-MM-DD'). */
  period: { start: string } | { end: string }
  /** The status the caller expects; refused when the period's days are not (or no longer) in it. */
  status?: 'provisional' | 'final'
  /**
   * Marquee's id of the version this one restates; by default the latest version of the period that
   * Tandem accepted. The signed payload names Tandem's receipt id of that version.
   */
  supersedes?: string
  /** By default: half the daily limit for a provisional version (a final one follows), else what is left. */
  epsilonPerDay?: number
  policy?: BudgetPolicy
  onStage?: (stage: DeliveryStage) => void
  /** The Reporting API client; Marquee's own client-credentials client by default. */
  client?: TandemPartnerClient
}

export interface Delivery {
  version: ReportVersionRow
  receipt: ReportReceipt
  /** True when an earlier release that Tandem had not accepted yet was sent again (no new noise, no ε). */
  resent: boolean
}

/** The first day of the period an option names, checked. */
export function periodStartOf(period: DeliverOptions['period']): string {
  const day = 'start' in period ? period.start : period.end
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || addDays(day, 0) !== day) {
    throw new AppError(400, 'invalid_period', 'a period is named by a UTC day, YYYY-MM-DD')
  }
  return 'start' in period ? day : addDays(day, -(PERIOD_DAYS - 1))
}

/**
 * ε per day when the caller gives none: a provisional version takes half the daily limit (so the
 * final one can follow), a final one what is left on its most-spent day.
 */
export async function defaultEpsilon(
  db: MarqueeContext['db'],
  periodStart: string,
  status: 'provisional' | 'final',
  policy: BudgetPolicy = DEFAULT_BUDGET_POLICY,
): Promise<number> {
  const remaining = Math.min(...(await remainingBudget(db, periodDays(periodStart), policy)).values())
  const half = policy.maxEpsilonPerDay / 2
  if (remaining <= 1e-9) return half // refused by the budget, with its own clear message
  return status === 'provisional' ? Math.min(half, remaining) : remaining
}

/**
 * Releases a version of a period's report and delivers it to Tandem's Reporting API: the budget is
 * checked first (an overspend is refused with 409 privacy_budget_exceeded and nothing is drawn, signed
 * or sent), the JCS bytes are signed with Marquee's registered EdDSA key (the kid in
 * /.well-known/jwks.json), the JWS is posted with a client-credentials token (`reports.submit`), and
 * Tandem's receipt id and reconciliation are stored with the version. A restatement names what it
 * supersedes. A release Tandem did not accept (unreachable, refused) stays stored undelivered and is
 * sent again, as signed, by the next delivery of the period, before anything new is released.
 */
export async function deliverReport(ctx: MarqueeContext, options: DeliverOptions): Promise<Delivery> {
  const periodStart = periodStartOf(options.period)
  const now = ctx.clock.now()
  const status = periodStatus(periodStart, now)
  if (options.status && options.status !== status) {
    throw new AppError(
      409,
      status === 'final' ? 'period_final' : 'period_not_final',
      status === 'final'
        ? 'the period’s days are final: a provisional version can no longer be released'
        : 'the period’s days are not final yet (T+5 days after its last day)',
    )
  }
  const client = options.client ?? createMarqueeClient(ctx)
  const versions = await selectReportVersions(ctx.db, periodStart)
  const pending = versions.findLast((v) => !v.tandemReportId)
  if (pending) {
    const receipt = await submit(ctx, client, pending, options.onStage)
    return { version: receipt.version, receipt: receipt.receipt, resent: true }
  }

  let previous: ReportVersionRow | undefined
  if (options.supersedes) {
    previous = await findReportVersion(ctx.db, options.supersedes)
    if (!previous || previous.periodStart !== periodStart || !previous.tandemReportId) {
      throw new AppError(
        400,
        'invalid_supersedes',
        'a restatement names an earlier version of the same period that Tandem accepted',
      )
    }
  } else {
    previous = versions.findLast((v) => v.tandemReportId)
  }

  const registration = await loadTandemRegistration(ctx)
  if (!registration)
    throw new AppError(409, 'tandem_not_configured', 'Marquee is not registered at Tandem yet')
  // The key whose public half Tandem reads from our jwks_uri: never a key of the report module's own.
  const { EdDSA } = await signingKeys(ctx)
  const policy = options.policy ?? DEFAULT_BUDGET_POLICY
  const epsilonPerDay = options.epsilonPerDay ?? (await defaultEpsilon(ctx.db, periodStart, status, policy))
  const released = await releaseReport(ctx.db as Kysely<MarqueeDatabase>, rollupSource(ctx.db), {
    partner: registration.clientId,
    periodStart,
    now,
    noise: { mode: 'laplace', epsilonPerDay },
    key: { privateKey: EdDSA.privateKey, kid: EdDSA.kid },
    policy,
    ...(previous ? { supersedes: previous.tandemReportId as string, previousVersionId: previous.id } : {}),
    ...(options.onStage ? { onStage: options.onStage } : {}),
  })
  const version = await findReportVersion(ctx.db, released.id)
  if (!version) throw new Error('the released version vanished')
  const delivered = await submit(ctx, client, version, options.onStage)
  return { ...delivered, resent: false }
}

async function submit(
  ctx: MarqueeContext,
  client: TandemPartnerClient,
  version: ReportVersionRow,
  onStage: DeliverOptions['onStage'],
): Promise<{ version: ReportVersionRow; receipt: ReportReceipt }> {
  onStage?.('delivering')
  let receipt: ReportReceipt
  try {
    receipt = await client.submitReport(version.jws)
  } catch (error) {
    if (error instanceof TandemApiError) {
      throw new AppError(502, 'tandem_refused_report', `Tandem refused the report: ${error.message}`, {
        status: error.status,
        code: error.code,
        versionId: version.id,
      })
    }
    if (error instanceof AppError) throw error
    ctx.log?.warn({ err: error }, 'report delivery failed')
    throw new AppError(502, 'tandem_unavailable', 'Tandem could not be reached; the version is kept', {
      versionId: version.id,
    })
  }
  const deliveredAt = ctx.clock.now()
  await updateReportDelivery(ctx.db, version.id, {
    tandemReportId: receipt.id,
    deliveredAt,
    reconciliation: receipt.reconciliation,
  })
  return {
    version: { ...version, tandemReportId: receipt.id, deliveredAt, reconciliation: receipt.reconciliation },
    receipt,
  }
}
