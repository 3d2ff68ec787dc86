import type { Clock } from '../../lib/clock.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import type { Db, PrivilegedApi, Trx } from '../db.ts'
import { announcePartnerStateChange } from '../partner-api/state-changes.ts'
import {
  type Agreement,
  insertAgreement,
  selectAgreement,
  selectAgreements,
  selectAgreementsInForce,
  selectMaxVersion,
  selectOverlapping,
  updateAgreementEnded,
} from './agreements.repository.ts'
import { lockPartner } from './partners.repository.ts'
import type { CreateAgreementsInput } from './partners.schemas.ts'
import { getPartner } from './partners.service.ts'

export type { Agreement } from './agreements.repository.ts'

/** The OAuth scopes each privileged API unlocks; a scope is issuable and usable only under an agreement (DESIGN §6.4). */
export const API_SCOPES = {
  inbox: ['recommendations.send'],
  friends: ['friends.app', 'friends.suggest'],
  activity: ['activity.publish'],
  reporting: ['reports.submit'],
} as const satisfies Record<PrivilegedApi, readonly string[]>

export type PrivilegedScope = (typeof API_SCOPES)[PrivilegedApi][number]

/** Every scope that needs an agreement; any other scope (openid, profile, offline_access) does not. */
export const PRIVILEGED_SCOPES: ReadonlySet<string> = new Set(Object.values(API_SCOPES).flat())

export function apiOfScope(scope: string): PrivilegedApi | undefined {
  for (const [api, scopes] of Object.entries(API_SCOPES) as [PrivilegedApi, readonly string[]][]) {
    if (scopes.includes(scope)) return api
  }
  return undefined
}

export type AgreementStatus = 'active' | 'lapsed' | 'ended' | 'future'

export function agreementStatus(
  a: Pick<Agreement, 'valid_from' | 'valid_until' | 'ended_at'>,
  now: Date,
): AgreementStatus {
  if (a.ended_at) return 'ended'
  if (now < a.valid_from) return 'future'
  if (now >= a.valid_until) return 'lapsed'
  return 'active'
}

export type AgreementChange =
  | { type: 'agreement.created'; agreement: Agreement }
  | { type: 'agreement.extended'; agreement: Agreement; previous: Agreement }
  | { type: 'agreement.ended'; agreement: Agreement }

/**
 * Told of every agreement change inside the transaction that made it, so what it writes
 * (a webhook delivery to the partner) commits or rolls back with the change.
 */
export type AgreementChangeListener = (trx: Trx, change: AgreementChange) => Promise<void>

export interface AgreementDeps {
  clock: Clock
  onAgreementChange?: AgreementChangeListener | undefined
  /** Called once the change committed: this instance drops its cached agreement state at once. */
  afterCommit?: (() => void) | undefined
}

/**
 * Inside the changing transaction: tells the change listener, and every instance's partner API guard
 * (through NOTIFY, delivered on commit) that this partner's coverage changed.
 */
async function changed(trx: Trx, deps: AgreementDeps, change: AgreementChange): Promise<void> {
  await announcePartnerStateChange(trx, `agreement:${change.agreement.client_id}`)
  await deps.onAgreementChange?.(trx, change)
}

async function inTransaction<T>(db: Db, deps: AgreementDeps, work: (trx: Trx) => Promise<T>): Promise<T> {
  const result = await db.transaction().execute(work)
  deps.afterCommit?.()
  return result
}

const invalidPeriod = (message: string) => new AppError(400, 'invalid_validity_period', message)

/**
 * One agreement per API for a partner, each the next version for its (partner, api).
 * Throws 404 `partner_not_found`, 400 `invalid_validity_period`, 409 `agreement_overlaps`.
 */
export async function createAgreements(
  db: Db,
  deps: AgreementDeps,
  input: CreateAgreementsInput & { createdBy?: string | null | undefined },
): Promise<Agreement[]> {
  const now = deps.clock.now()
  const from = input.validFrom ?? now
  const until = input.validUntil
  if (until <= from) throw invalidPeriod('validUntil must be after validFrom')
  if (until <= now) throw invalidPeriod('validUntil must be in the future')
  return inTransaction(db, deps, async (trx) => {
    if (!(await lockPartner(trx, input.clientId))) throw notFound('partner')
    const created: Agreement[] = []
    for (const api of input.apis) {
      await assertNoOverlap(trx, { clientId: input.clientId, api, from, until })
      const agreement = await insertAgreement(trx, {
        id: newId(),
        client_id: input.clientId,
        api,
        version: (await selectMaxVersion(trx, input.clientId, api)) + 1,
        valid_from: from,
        valid_until: until,
        obligations: JSON.stringify(input.obligations ?? {}),
        created_by: input.createdBy ?? null,
        created_at: now,
      })
      created.push(agreement)
      await changed(trx, deps, { type: 'agreement.created', agreement })
    }
    return created
  })
}

/**
 * Extends an agreement to a later date: a new version takes over from now (or from the old start,
 * if that is still ahead) and the old one ends with reason `superseded`, so coverage has no gap.
 * A lapsed agreement may be extended (a renewal); an ended one may not (409 `agreement_ended`).
 */
export async function extendAgreement(
  db: Db,
  deps: AgreementDeps,
  id: string,
  input: { validUntil: Date; createdBy?: string | null | undefined },
): Promise<{ agreement: Agreement; superseded: Agreement }> {
  const now = deps.clock.now()
  return inTransaction(db, deps, async (trx) => {
    const old = await lockedAgreement(trx, id)
    if (old.ended_at) throw agreementEnded()
    const from = new Date(Math.max(old.valid_from.getTime(), now.getTime()))
    if (input.validUntil <= old.valid_until)
      throw invalidPeriod(`validUntil must be after the current end, ${old.valid_until.toISOString()}`)
    if (input.validUntil <= now) throw invalidPeriod('validUntil must be in the future')
    await assertNoOverlap(trx, {
      clientId: old.client_id,
      api: old.api,
      from,
      until: input.validUntil,
      exceptId: old.id,
    })
    const superseded = await updateAgreementEnded(trx, old.id, now, 'superseded')
    if (!superseded) throw agreementEnded()
    const agreement = await insertAgreement(trx, {
      id: newId(),
      client_id: old.client_id,
      api: old.api,
      version: (await selectMaxVersion(trx, old.client_id, old.api)) + 1,
      valid_from: from,
      valid_until: input.validUntil,
      obligations: JSON.stringify(old.obligations ?? {}),
      created_by: input.createdBy ?? null,
      created_at: now,
    })
    await changed(trx, deps, { type: 'agreement.extended', agreement, previous: superseded })
    return { agreement, superseded }
  })
}

/** Ends an agreement now; its scopes stop on the next call. 409 `agreement_ended` if it already had. */
export async function endAgreement(
  db: Db,
  deps: AgreementDeps,
  id: string,
  reason: string,
): Promise<Agreement> {
  const now = deps.clock.now()
  return inTransaction(db, deps, async (trx) => {
    await lockedAgreement(trx, id)
    const agreement = await updateAgreementEnded(trx, id, now, reason)
    if (!agreement) throw agreementEnded()
    await changed(trx, deps, { type: 'agreement.ended', agreement })
    return agreement
  })
}

/** Every version of every agreement, or of one partner's (404 `partner_not_found` if unknown). */
export async function listAgreements(db: Db, filter: { clientId?: string | undefined } = {}) {
  if (filter.clientId === undefined) return selectAgreements(db)
  await getPartner(db, filter.clientId)
  return selectAgreements(db, { clientIds: [filter.clientId] })
}

/** Agreements in force at `now` (valid_from ≤ now < valid_until, not ended), whatever the partner's status. */
export async function activeAgreements(db: Db, clientId: string, now: Date): Promise<Agreement[]> {
  return selectAgreementsInForce(db, clientId, now, { activePartnerOnly: false })
}

/**
 * The privileged scopes a partner may request and use at `now`: those of agreements in force,
 * and none while the partner is suspended.
 */
export async function coveredScopes(db: Db, clientId: string, now: Date): Promise<Set<string>> {
  const agreements = await selectAgreementsInForce(db, clientId, now, { activePartnerOnly: true })
  return new Set(agreements.flatMap((a) => API_SCOPES[a.api]))
}

export async function isScopeCovered(db: Db, clientId: string, scope: string, now: Date): Promise<boolean> {
  return (await coveredScopes(db, clientId, now)).has(scope)
}

const agreementEnded = () =>
  new AppError(409, 'agreement_ended', 'this agreement has ended; create a new one instead')

/** Reads the agreement, then locks its partner and reads it again, so changes to one partner's agreements queue. */
async function lockedAgreement(trx: Trx, id: string): Promise<Agreement> {
  const first = await selectAgreement(trx, id)
  if (!first) throw notFound('agreement')
  await lockPartner(trx, first.client_id)
  const agreement = await selectAgreement(trx, id)
  if (!agreement) throw notFound('agreement')
  return agreement
}

async function assertNoOverlap(
  trx: Trx,
  q: { clientId: string; api: PrivilegedApi; from: Date; until: Date; exceptId?: string },
): Promise<void> {
  const [clash] = await selectOverlapping(trx, q)
  if (clash) {
    throw new AppError(
      409,
      'agreement_overlaps',
      `an agreement for ${q.api} already covers part of that period; extend or end it first`,
      { api: q.api, agreementId: clash.id },
    )
  }
}
