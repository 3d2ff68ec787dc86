import type { Db } from '../db.ts'

export interface DeletionReceiptCounts {
  outstanding: number
  overdue: number
  received: number
}

/** Recipient controls (issue 4): users who muted the partner, and reports filed about its messages. */
export interface RecipientControlCounts {
  muted: number
  reports: number
}

export interface GrantCounts {
  active: number
  revoked: number
}

/** Deletion receipts per partner: outstanding (not received), of those overdue at `now`, and received. */
export async function countDeletionReceipts(
  db: Db,
  clientIds: string[],
  now: Date,
): Promise<Map<string, DeletionReceiptCounts>> {
  if (clientIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('deletion_requests')
    .select((eb) => [
      'client_id',
      eb.fn.countAll().filterWhere('received_at', 'is', null).as('outstanding'),
      eb.fn
        .countAll()
        .filterWhere((w) => w.and([w('received_at', 'is', null), w('due_at', '<=', now)]))
        .as('overdue'),
      eb.fn.countAll().filterWhere('received_at', 'is not', null).as('received'),
    ])
    .where('client_id', 'in', clientIds)
    .groupBy('client_id')
    .execute()
  return new Map(
    rows.map((r) => [
      r.client_id,
      { outstanding: Number(r.outstanding), overdue: Number(r.overdue), received: Number(r.received) },
    ]),
  )
}

export async function countGrants(db: Db, clientIds: string[]): Promise<Map<string, GrantCounts>> {
  if (clientIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('partner_grants')
    .select((eb) => [
      'client_id',
      eb.fn.countAll().filterWhere('revoked_at', 'is', null).as('active'),
      eb.fn.countAll().filterWhere('revoked_at', 'is not', null).as('revoked'),
    ])
    .where('client_id', 'in', clientIds)
    .groupBy('client_id')
    .execute()
  return new Map(rows.map((r) => [r.client_id, { active: Number(r.active), revoked: Number(r.revoked) }]))
}

export async function countRecipientControls(
  db: Db,
  clientIds: string[],
): Promise<Map<string, RecipientControlCounts>> {
  if (clientIds.length === 0) return new Map()
  const [muted, reports] = await Promise.all([
    db
      .selectFrom('partner_mutes')
      .select((eb) => ['client_id', eb.fn.countAll().as('n')])
      .where('client_id', 'in', clientIds)
      .groupBy('client_id')
      .execute(),
    db
      .selectFrom('partner_abuse_reports')
      .select((eb) => ['client_id', eb.fn.countAll().as('n')])
      .where('client_id', 'in', clientIds)
      .groupBy('client_id')
      .execute(),
  ])
  const counts = new Map<string, RecipientControlCounts>()
  const entry = (clientId: string) => {
    let c = counts.get(clientId)
    if (!c) {
      c = { muted: 0, reports: 0 }
      counts.set(clientId, c)
    }
    return c
  }
  for (const r of muted) entry(r.client_id).muted = Number(r.n)
  for (const r of reports) entry(r.client_id).reports = Number(r.n)
  return counts
}
