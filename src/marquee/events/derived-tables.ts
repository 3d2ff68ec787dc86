import { sql } from 'kysely'
import type { Db } from '../db.ts'

/** The tables ingest and a rebuild derive from events. */
export const DERIVED_TABLES = [
  'sender_counts_queue',
  'share_rollups',
  'share_rollups_late',
  'sender_daily_sends',
  'sender_day_totals',
  'sender_day_clips',
  'share_rollups_clipped',
  'confirmed_sends',
] as const

/** Empties events and every table derived from them (tests and benchmarks start from nothing). */
export async function truncateEvents(db: Db): Promise<void> {
  await sql.raw(`truncate events, ${DERIVED_TABLES.join(', ')}`).execute(db)
}
