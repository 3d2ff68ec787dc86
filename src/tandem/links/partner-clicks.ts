import { sql } from 'kysely'
import type { Db } from '../db.ts'
import type { ClickRow } from './links.repository.ts'

/**
 * Counts a batch of shim clicks (one row per link, with its count) on partner-sent cards into Tandem's own daily counts: every click adds
 * to `clicks`, the first click of a send also to `unique_clicks`, on the row of the send's day and
 * context. Runs in the transaction that inserts the clicks, so a retried batch never counts twice.
 */
export async function countPartnerClicks(trx: Db, rows: ClickRow[]) {
  const perLink = new Map<string, { count: number; first: Date }>()
  for (const row of rows) {
    const seen = perLink.get(row.link_id)
    if (!seen) perLink.set(row.link_id, { count: row.clicks, first: row.clicked_at })
    else {
      seen.count += row.clicks
      if (row.clicked_at < seen.first) seen.first = row.clicked_at
    }
  }
  if (perLink.size === 0) return
  const sends = await trx
    .selectFrom('partner_sends')
    .select(['id', 'link_id', 'client_id', 'day', 'interface', 'surface', 'variant'])
    .where(sql<boolean>`link_id = any(${[...perLink.keys()]}::text[])`)
    .execute()
  if (sends.length === 0) return
  const cells = new Map<
    string,
    {
      client_id: string
      day: string
      interface: string
      surface: string
      variant: string
      clicks: number
      unique: number
    }
  >()
  for (const send of sends) {
    const link = perLink.get(send.link_id!)!
    const firstNow = await trx
      .updateTable('partner_sends')
      .set({ first_clicked_at: link.first })
      .where('id', '=', send.id)
      .where('first_clicked_at', 'is', null)
      .returning('id')
      .executeTakeFirst()
    // PGlite reads a date column as a Date at UTC midnight; PostgreSQL here as 'YYYY-MM-DD'.
    const day = typeof send.day === 'string' ? send.day : (send.day as Date).toISOString().slice(0, 10)
    const key = [send.client_id, day, send.interface, send.surface, send.variant].join('\u0000')
    const cell = cells.get(key) ?? {
      client_id: send.client_id,
      day,
      interface: send.interface,
      surface: send.surface,
      variant: send.variant,
      clicks: 0,
      unique: 0,
    }
    cell.clicks += link.count
    if (firstNow) cell.unique++
    cells.set(key, cell)
  }
  // Clicks are counted on shard 0 of the day's row; sends spread over the shards (see recommendations.service.ts).
  for (const cell of cells.values()) {
    await trx
      .insertInto('partner_daily_counts')
      .values({
        client_id: cell.client_id,
        day: cell.day,
        interface: cell.interface,
        surface: cell.surface,
        variant: cell.variant,
        clicks: cell.clicks,
        unique_clicks: cell.unique,
      })
      .onConflict((oc) =>
        oc.columns(['client_id', 'day', 'interface', 'surface', 'variant', 'shard']).doUpdateSet((eb) => ({
          clicks: eb('partner_daily_counts.clicks', '+', cell.clicks),
          unique_clicks: eb('partner_daily_counts.unique_clicks', '+', cell.unique),
        })),
      )
      .execute()
  }
}
