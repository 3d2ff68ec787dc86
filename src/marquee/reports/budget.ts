import { AppError } from '../../lib/errors.ts'
import type { Db } from '../db.ts'
import { insertLedgerEntries, lockLedger, selectSpentByDay } from './reports.repository.ts'

/**
 * The privacy budget (MEASUREMENT.md "Privacy"). The privacy unit is one sender on one UTC day, so ε is
 * accounted per day of data: every release that touches a day spends on it, restatements included
 * (re-noising the same day reveals more about it). Defaults: at most ε = 1 on any day, and at most 14 in
 * one 14-day release. A provisional version followed by a final one must therefore split the day's
 * budget (say 0.5 each), or the operator raises the daily limit knowingly.
 */
export interface BudgetPolicy {
  /** The most ε all releases together may spend on one day of data. */
  maxEpsilonPerDay: number
  /** The most ε one release may spend over all its days. */
  maxEpsilonPerRelease: number
}

export const DEFAULT_BUDGET_POLICY: BudgetPolicy = Object.freeze({
  maxEpsilonPerDay: 1,
  maxEpsilonPerRelease: 14,
})

export interface BudgetSpend {
  releaseId: string
  /** The UTC days of data the release covers, 'YYYY-MM-DD'. */
  days: readonly string[]
  epsilonPerDay: number
}

export interface BudgetRefusal {
  reason: 'release_limit' | 'day_limit'
  day?: string
  spent: number
  requested: number
  limit: number
}

// ε sums are floating point (0.1 + 0.2 …): a spend that reaches the limit exactly must still pass.
const TOLERANCE = 1e-9

/** Whether a spend fits, given what is already spent per day; null when it does. */
export function checkBudget(
  spent: ReadonlyMap<string, number>,
  spend: BudgetSpend,
  policy: BudgetPolicy = DEFAULT_BUDGET_POLICY,
): BudgetRefusal | null {
  if (!(spend.epsilonPerDay > 0) || !Number.isFinite(spend.epsilonPerDay)) {
    throw new AppError(400, 'invalid_epsilon', 'ε per day must be a positive number')
  }
  const total = spend.epsilonPerDay * spend.days.length
  if (total > policy.maxEpsilonPerRelease + TOLERANCE) {
    return { reason: 'release_limit', spent: 0, requested: total, limit: policy.maxEpsilonPerRelease }
  }
  for (const day of spend.days) {
    const already = spent.get(day) ?? 0
    if (already + spend.epsilonPerDay > policy.maxEpsilonPerDay + TOLERANCE) {
      return {
        reason: 'day_limit',
        day,
        spent: already,
        requested: spend.epsilonPerDay,
        limit: policy.maxEpsilonPerDay,
      }
    }
  }
  return null
}

/**
 * Records a release's spend, or refuses it with 409 privacy_budget_exceeded and records nothing.
 * Call inside the transaction that stores the release, so a release that fails later spends nothing.
 */
export async function spendBudget(
  trx: Db,
  spend: BudgetSpend,
  at: Date,
  policy: BudgetPolicy = DEFAULT_BUDGET_POLICY,
) {
  await lockLedger(trx)
  await assertBudget(trx, spend, policy)
  await insertLedgerEntries(
    trx,
    spend.days.map((day) => ({
      releaseId: spend.releaseId,
      day,
      epsilon: spend.epsilonPerDay,
      createdAt: at,
    })),
  )
}

const refused = (refusal: BudgetRefusal) =>
  new AppError(
    409,
    'privacy_budget_exceeded',
    refusal.reason === 'release_limit'
      ? `this release would spend ε = ${refusal.requested}, more than the ${refusal.limit} one release may spend`
      : `day ${refusal.day} has ε = ${refusal.spent} spent; ${refusal.requested} more would pass its limit of ${refusal.limit}`,
    refusal,
  )

/**
 * Throws 409 privacy_budget_exceeded when the spend does not fit what is already spent. Outside a
 * transaction it is the early check (before any noise is drawn); spendBudget repeats it under the lock.
 */
export async function assertBudget(db: Db, spend: BudgetSpend, policy: BudgetPolicy = DEFAULT_BUDGET_POLICY) {
  const refusal = checkBudget(await selectSpentByDay(db, spend.days), spend, policy)
  if (refusal) throw refused(refusal)
}

/** What is left to spend on each day. */
export async function remainingBudget(db: Db, days: readonly string[], policy = DEFAULT_BUDGET_POLICY) {
  const spent = await selectSpentByDay(db, days)
  return new Map(days.map((day) => [day, Math.max(0, policy.maxEpsilonPerDay - (spent.get(day) ?? 0))]))
}
