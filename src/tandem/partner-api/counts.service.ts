import { notFound } from '../../lib/errors.ts'
import type { Db } from '../db.ts'
import { asDay } from './limits.ts'

/** Tandem's own daily counts for one partner: accepted sends and shim clicks per day and context. */
export async function listDailyCounts(db: Db, clientId: string, range: { from?: string; to?: string }) {
  const app = await db
    .selectFrom('partner_apps')
    .select('client_id')
    .where('client_id', '=', clientId)
    .executeTakeFirst()
  if (!app) throw notFound('partner')
  let query = db.selectFrom('partner_daily_counts').selectAll().where('client_id', '=', clientId)
  if (range.from) query = query.where('day', '>=', range.from)
  if (range.to) query = query.where('day', '<=', range.to)
  const rows = await query.orderBy('day').orderBy('interface').orderBy('surface').orderBy('variant').execute()
  return rows.map((r) => ({
    day: asDay(r.day as string | Date),
    interface: r.interface,
    surface: r.surface,
    variant: r.variant,
    sends: r.sends,
    clicks: r.clicks,
    uniqueClicks: r.unique_clicks,
  }))
}
