import type { Selectable } from 'kysely'
import type { Clock } from '../../lib/clock.ts'
import type { AgreementsTable, Db } from '../db.ts'
import { enqueueWebhook } from './webhooks.service.ts'

/**
 * The events other domains raise, shaped for the partner: only what it may know, and people only
 * by their app-scoped id (DESIGN.md §6 rule 2), never Tandem's user id. Each runs inside the
 * transaction of the change it reports.
 */

async function appScopedSubject(trx: Db, clientId: string, userId: string): Promise<string | null> {
  const row = await trx
    .selectFrom('app_subjects')
    .select('sub')
    .where('client_id', '=', clientId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return row?.sub ?? null
}

/** A user revoked a partner's grant: `grant.revoked`, then `data.deletion_requested` naming the receipt it owes. */
export async function enqueueRevocationWebhooks(
  trx: Db,
  clock: Clock,
  revoked: { grantId: string; clientId: string; userId: string; deletionRequestId: string; dueAt: Date },
): Promise<void> {
  const sub = await appScopedSubject(trx, revoked.clientId, revoked.userId)
  const revokedAt = clock.now().toISOString()
  await enqueueWebhook(trx, clock, {
    clientId: revoked.clientId,
    type: 'grant.revoked',
    data: { grantId: revoked.grantId, sub, revokedAt },
  })
  await enqueueWebhook(trx, clock, {
    clientId: revoked.clientId,
    type: 'data.deletion_requested',
    data: {
      requestId: revoked.deletionRequestId,
      grantId: revoked.grantId,
      sub,
      dueAt: revoked.dueAt.toISOString(),
    },
  })
}

/** An agreement was created, extended or ended: the partner learns its terms as they now stand. */
export async function enqueueAgreementWebhook(
  trx: Db,
  clock: Clock,
  change: {
    type: 'agreement.created' | 'agreement.extended' | 'agreement.ended'
    agreement: Selectable<AgreementsTable>
  },
): Promise<void> {
  const a = change.agreement
  await enqueueWebhook(trx, clock, {
    clientId: a.client_id,
    type: change.type,
    data: {
      agreementId: a.id,
      api: a.api,
      version: a.version,
      validFrom: a.valid_from.toISOString(),
      validUntil: a.valid_until.toISOString(),
      endedAt: a.ended_at?.toISOString() ?? null,
      endReason: a.end_reason,
      obligations: a.obligations,
    },
  })
}
