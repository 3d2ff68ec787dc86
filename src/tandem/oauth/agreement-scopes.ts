import type { Db } from '../db.ts'

const API_SCOPES: Record<string, string[]> = {
  inbox: ['recommendations.send'],
  friends: ['friends.app', 'friends.suggest'],
  activity: ['activity.publish'],
  reporting: ['reports.submit'],
}

/** Scopes that an active agreement covers for this partner right now. */
export async function coveredScopes(db: Db, clientId: string, now: Date): Promise<Set<string>> {
  const rows = await db
    .selectFrom('agreements')
    .innerJoin('partner_apps', 'partner_apps.client_id', 'agreements.client_id')
    .select('agreements.api')
    .where('agreements.client_id', '=', clientId)
    .where('partner_apps.status', '=', 'active')
    .where('agreements.ended_at', 'is', null)
    .where('agreements.valid_from', '<=', now)
    .where('agreements.valid_until', '>', now)
    .execute()
  return new Set(rows.flatMap((r) => API_SCOPES[r.api] ?? []))
}
