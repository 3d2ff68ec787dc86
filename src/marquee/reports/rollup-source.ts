import { sql } from 'kysely'
import type { Db } from '../db.ts'
import { PRECOMPUTED_BOUND, PRECOMPUTED_VARIANTS } from '../events/clipping.ts'
import { applyQueuedSenderCounts } from '../events/sender-counts.ts'
import type { RollupCell, RollupSource, SenderDayCell } from './builder.ts'
import type { SenderArmDay } from './stats.ts'

/** The bound of sender_day_totals_over_idx (migration 0007): the index holds the sender-days over it. */
const INDEXED_OVER = 20

/** The cells of a period from share_rollups, or from the same cells after clipping at ingest's bound. */
async function readCells(
  db: Db,
  table: 'share_rollups' | 'share_rollups_clipped',
  from: string,
  to: string,
): Promise<RollupCell[]> {
  return db
    .selectFrom(table)
    .select([
      sql<string>`day::text`.as('day'),
      'interface',
      'surface',
      'variant',
      'recipient_type as recipientType',
      'sends',
      'clicks',
      'unique_clicks as uniqueClicks',
    ])
    .where('day', '>=', from)
    .where('day', '<=', to)
    .execute()
}

/**
 * The builder's input from Marquee's rollup tables (share_rollups, sender_daily_sends and its
 * per-sender-day totals, kept current at ingest; per-sender counts still queued by ingest are applied
 * before the first read): rollups only, never raw events, so a report's cost
 * follows the domain and the senders who need clipping, not the number of events. `clicks` there are confirmed clicks within the 7-day window,
 * `unique_clicks` the sends with one; late clicks stay in share_rollups_late for a restatement.
 */
export function rollupSource(db: Db): Required<RollupSource> & {
  /** Per sender, day, interface and variant: for the SRM test and the crossover exclusion. */
  senderArms(from: string, to: string): Promise<SenderArmDay[]>
} {
  let applied: Promise<unknown> | undefined
  const current = () => (applied ??= applyQueuedSenderCounts(db))
  return {
    async cells(from, to) {
      await current()
      return readCells(db, 'share_rollups', from, to)
    },

    async sendersOverCap(from, to, cap): Promise<SenderDayCell[]> {
      await current()
      // The sender-days over the bound come from their totals; at or above the partial index's threshold
      // the (redundant) literal bound lets the planner read that index: a range over just those days.
      // Their rows are then read sender-day by sender-day from the primary key (OFFSET 0 keeps the
      // lookup a nested loop: a hash join would scan every sender-day row of the period).
      const indexed =
        cap >= INDEXED_OVER ? sql`and greatest(o.sends, o.clicks) > ${sql.lit(INDEXED_OVER)}` : sql``
      const { rows } = await sql<SenderDayCell>`
        select o.day::text as day, o.sender_id as "senderId", s.interface, s.surface, s.variant,
          s.recipient_type as "recipientType", s.sends, s.clicks, s.unique_clicks as "uniqueClicks"
        from sender_day_totals o cross join lateral (
          select interface, surface, variant, recipient_type, sends, clicks, unique_clicks
          from sender_daily_sends s where s.day = o.day and s.sender_id = o.sender_id offset 0) s
        where o.day between ${from}::date and ${to}::date and greatest(o.sends, o.clicks) > ${cap} ${indexed}
        order by o.day, o.sender_id, s.interface, s.surface, s.variant, s.recipient_type`.execute(db)
      return rows
    },

    async clipped(from, to, cap, variants): Promise<RollupCell[] | undefined> {
      // Kept at ingest for one bound and the variants ingest clips for; any other report clips its rows.
      const same = (a: readonly string[], b: readonly string[]) => {
        const sortedB = [...b].sort()
        return a.length === b.length && [...a].sort().every((v, i) => v === sortedB[i])
      }
      if (cap !== PRECOMPUTED_BOUND || !same(variants, PRECOMPUTED_VARIANTS)) return undefined
      await current()
      const kept = await db
        .selectFrom('clip_precompute')
        .select('variants')
        .where('bound', '=', cap)
        .executeTakeFirst()
      if (!kept || !same(kept.variants, PRECOMPUTED_VARIANTS)) return undefined
      return readCells(db, 'share_rollups_clipped', from, to)
    },

    async senderArms(from, to): Promise<SenderArmDay[]> {
      await current()
      const rows = await db
        .selectFrom('sender_daily_sends')
        .select([
          'sender_id',
          sql<string>`day::text`.as('day'),
          'interface',
          'variant',
          sql<number>`sum(sends)::int`.as('sends'),
          sql<number>`sum(unique_clicks)::int`.as('unique_clicks'),
        ])
        .where('day', '>=', from)
        .where('day', '<=', to)
        .groupBy(['sender_id', 'day', 'interface', 'variant'])
        .execute()
      return rows.map((r) => ({
        senderId: r.sender_id,
        day: r.day,
        interface: r.interface,
        variant: r.variant,
        sends: r.sends,
        uniqueClicks: r.unique_clicks,
      }))
    },
  }
}
