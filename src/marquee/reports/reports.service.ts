import type { Kysely } from 'kysely'
import { AppError } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import type { MarqueeDatabase } from '../db.ts'
import { assertBudget, type BudgetPolicy, DEFAULT_BUDGET_POLICY, spendBudget } from './budget.ts'
import {
  type BuildOptions,
  type BuiltReport,
  buildReportFrom,
  DEFAULT_EPSILON_PER_DAY,
  periodDays,
  type RollupSource,
  readPeriod,
} from './builder.ts'
import { findReportVersion, insertReportVersion } from './reports.repository.ts'
import { type SigningKey, signReport } from './sign.ts'
import { armCountsFromReport } from './stats.ts'

export interface ReleaseOptions extends BuildOptions {
  key: SigningKey
  /** The version of this period being restated, if any (Marquee's id; the payload names Tandem's). */
  previousVersionId?: string
  policy?: BudgetPolicy
  /** Told as each step starts, for a progress display. */
  onStage?: (stage: ReleaseStage) => void
}

export type ReleaseStage = 'reading' | 'noising' | 'signing' | 'storing'

/**
 * Releases one version of a period's report: builds it (noise drawn), signs it, then in one
 * transaction spends the privacy budget and stores the signed version. A release the budget refuses
 * (409 privacy_budget_exceeded) records nothing and its noisy counts never leave this function.
 * Built before the transaction: the rollup reads must not wait on the ledger's lock.
 */
export async function releaseReport(
  db: Kysely<MarqueeDatabase>,
  source: RollupSource,
  options: ReleaseOptions,
): Promise<{ id: string; jws: string; built: BuiltReport }> {
  if (options.noise.mode !== 'laplace') {
    throw new AppError(400, 'noise_required', 'only a noised report may leave Marquee')
  }
  const epsilonPerDay = options.noise.epsilonPerDay ?? DEFAULT_EPSILON_PER_DAY
  if (options.previousVersionId) {
    const previous = await findReportVersion(db, options.previousVersionId)
    if (!previous || previous.periodStart !== options.periodStart) {
      throw new AppError(
        400,
        'invalid_supersedes',
        'a restatement names an earlier version of the same period',
      )
    }
  }
  const id = newId()
  const days = periodDays(options.periodStart)
  const policy = options.policy ?? DEFAULT_BUDGET_POLICY
  // Refused before any noise is drawn; the transaction below checks again under the ledger's lock.
  await assertBudget(db, { releaseId: id, days, epsilonPerDay }, policy)
  options.onStage?.('reading')
  const data = await readPeriod(source, options)
  options.onStage?.('noising')
  const built = buildReportFrom(data, options)
  options.onStage?.('signing')
  const jws = await signReport(built.report, options.key)
  options.onStage?.('storing')
  await db.transaction().execute(async (trx) => {
    await spendBudget(
      trx,
      {
        releaseId: id,
        days,
        epsilonPerDay,
      },
      options.now,
      policy,
    )
    await insertReportVersion(trx, {
      id,
      periodStart: built.report.period.start,
      periodEnd: built.report.period.end,
      status: built.report.status,
      supersedes: options.previousVersionId ?? null,
      jws,
      createdAt: options.now,
      epsilonPerDay,
      armCounts: armCountsFromReport(built),
    })
  })
  return { id, jws, built }
}
