import type { Clock } from '../../lib/clock.ts'
import { notFound } from '../../lib/errors.ts'
import { newId, sha256 } from '../../lib/ids.ts'
import type { Db } from '../db.ts'
import { markGrantRevoked, selectActiveGrants } from '../oauth/grants.repository.ts'
import { purposeOf } from '../oauth/scopes.ts'
import { announcePartnerStateChange } from '../partner-api/state-changes.ts'

const DEFAULT_RECEIPT_DAYS = 30

export interface RevokeEffects {
  /** Called after the revocation committed: this instance drops its cached grant state at once. */
  afterCommit?: () => void
  /** Called inside the revoking transaction for each revoked grant (webhooks are enqueued here). */
  onRevoked?: (
    trx: Db,
    revoked: { grantId: string; clientId: string; userId: string; deletionRequestId: string; dueAt: Date },
  ) => Promise<void>
}

/** The partners a user has connected, with what each may do, and those disconnected with their deletion status. */
export async function listConnectedApps(db: Db, userId: string, now: Date) {
  const grants = await db
    .selectFrom('partner_grants')
    .innerJoin('partner_apps', 'partner_apps.client_id', 'partner_grants.client_id')
    .select([
      'partner_grants.grant_id',
      'partner_grants.client_id',
      'partner_grants.scopes',
      'partner_grants.created_at',
      'partner_grants.updated_at',
      'partner_grants.revoked_at',
      'partner_apps.name',
      'partner_apps.homepage_url',
      'partner_apps.privacy_policy_url',
    ])
    .where('partner_grants.user_id', '=', userId)
    .orderBy('partner_grants.created_at')
    .execute()
  const deletions = await db
    .selectFrom('deletion_requests')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('requested_at', 'desc')
    .execute()
  const byClient = new Map<string, (typeof grants)[number][]>()
  for (const g of grants) byClient.set(g.client_id, [...(byClient.get(g.client_id) ?? []), g])
  const apps = []
  const disconnected = []
  for (const [clientId, rows] of byClient) {
    const first = rows[0]!
    const active = rows.filter((r) => r.revoked_at === null)
    const app = {
      clientId,
      name: first.name,
      homepageUrl: first.homepage_url,
      privacyPolicyUrl: first.privacy_policy_url,
    }
    if (active.length > 0) {
      const scopes = [...new Set(active.flatMap((r) => r.scopes))]
      apps.push({
        ...app,
        scopes: scopes.map((scope) => ({ scope, purpose: purposeOf(scope, first.name) })),
        connectedAt: active[0]!.created_at.toISOString(),
        updatedAt: new Date(Math.max(...active.map((r) => r.updated_at.getTime()))).toISOString(),
      })
    } else {
      const request = deletions.find((d) => d.client_id === clientId)
      disconnected.push({
        ...app,
        disconnectedAt: rows
          .reduce((a, r) => (r.revoked_at && r.revoked_at > a ? r.revoked_at : a), new Date(0))
          .toISOString(),
        deletion: request
          ? {
              id: request.id,
              requestedAt: request.requested_at.toISOString(),
              dueAt: request.due_at.toISOString(),
              status: request.received_at ? 'received' : request.due_at < now ? 'overdue' : 'requested',
              receivedAt: request.received_at?.toISOString() ?? null,
              receipt: request.receipt,
            }
          : null,
      })
    }
  }
  return { apps, disconnected }
}

/**
 * Disconnects a partner: every grant of this user for it is revoked and its stored tokens deleted,
 * in one transaction with the deletion request (and, through `effects`, the webhooks). JWT access
 * tokens already issued stop working at their next call, because the resource server checks the grant.
 */
export async function revokeConnectedApp(
  db: Db,
  clock: Clock,
  userId: string,
  clientId: string,
  effects: RevokeEffects = {},
) {
  const revoked = await db.transaction().execute(async (trx) => {
    const grants = await selectActiveGrants(trx, userId, clientId)
    if (grants.length === 0) throw notFound('connected_app')
    const now = clock.now()
    const agreement = await trx
      .selectFrom('agreements')
      .select('obligations')
      .where('client_id', '=', clientId)
      .orderBy('created_at', 'desc')
      .executeTakeFirst()
    const days = agreement?.obligations.deletionReceiptDays ?? DEFAULT_RECEIPT_DAYS
    const done = []
    for (const grant of grants) {
      await markGrantRevoked(trx, grant.grant_id, now, 'user_revoked')
      await trx.deleteFrom('oidc_payloads').where('grant_id', '=', sha256(grant.grant_id)).execute()
      await trx
        .deleteFrom('oidc_payloads')
        .where('model', '=', 'Grant')
        .where('id_hash', '=', sha256(grant.grant_id))
        .execute()
      const deletionRequestId = newId()
      const dueAt = new Date(now.getTime() + days * 86_400_000)
      await trx
        .insertInto('deletion_requests')
        .values({
          id: deletionRequestId,
          grant_id: grant.grant_id,
          user_id: userId,
          client_id: clientId,
          requested_at: now,
          due_at: dueAt,
        })
        .execute()
      const item = { grantId: grant.grant_id, clientId, userId, deletionRequestId, dueAt }
      await announcePartnerStateChange(trx, `grant:${grant.grant_id}`)
      await effects.onRevoked?.(trx, item)
      done.push(item)
    }
    return done
  })
  effects.afterCommit?.()
  return revoked
}
