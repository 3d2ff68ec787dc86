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
  // A cell's count is the sum of its shards (migration 0007).
  let query = db
    .selectFrom('partner_daily_counts')
    .select(['day', 'interface', 'surface', 'variant'])
    .select((eb) => [
      eb.fn.sum<string | number>('sends').as('sends'),
      eb.fn.sum<string | number>('clicks').as('clicks'),
      eb.fn.sum<string | number>('unique_clicks').as('unique_clicks'),
    ])
    .where('client_id', '=', clientId)
  if (range.from) query = query.where('day', '>=', range.from)
  if (range.to) query = query.where('day', '<=', range.to)
  const rows = await query
    .groupBy(['day', 'interface', 'surface', 'variant'])
    .orderBy('day')
    .orderBy('interface')
    .orderBy('surface')
    .orderBy('variant')
    .execute()
  return rows.map((r) => ({
    day: asDay(r.day as string | Date),
    interface: r.interface,
    surface: r.surface,
    variant: r.variant,
    sends: Number(r.sends),
    clicks: Number(r.clicks),
    uniqueClicks: Number(r.unique_clicks),
  }))
}
