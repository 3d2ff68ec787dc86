import { sql } from 'kysely'
import { INTERFACES, RECIPIENT_TYPES, SURFACES } from '../../lib/measurement-dimensions.ts'
import type { Db } from '../db.ts'
import { SHARE_DIALOG } from '../experiments/experiments.service.ts'
import { clipSenderDay, DEFAULT_CLIP, type SenderDayCell } from '../reports/builder.ts'

/** The bound ingest clips at as it goes: a report's default. */
export const PRECOMPUTED_BOUND = DEFAULT_CLIP
/** The variants of the reports it clips for (a report's default domain): rows of other variants are left out. */
export const PRECOMPUTED_VARIANTS: readonly string[] = SHARE_DIALOG.arms.map((a) => a.name)

export interface SenderDayKey {
  day: string
  senderId: string
}

/** A row of sender_daily_sends as the builder clips it, with what clipping removed from it so far. */
interface ClipRow extends SenderDayCell {
  oldSends: number
  oldClicks: number
  oldUniqueClicks: number
}

const inDomain = (r: ClipRow): boolean =>
  PRECOMPUTED_VARIANTS.includes(r.variant) &&
  (INTERFACES as readonly string[]).includes(r.interface) &&
  (SURFACES as readonly string[]).includes(r.surface) &&
  (RECIPIENT_TYPES as readonly string[]).includes(r.recipientType)

/**
 * Works out again what clipping at PRECOMPUTED_BOUND removes from each cell of the given sender-days (or
 * of every sender-day over the bound, refilling both tables), exactly as the report builder would from
 * their rows in the default domain, and moves share_rollups_clipped by the difference. Runs after the
 * sender-days' counts were written in the same transaction; ingest holds their sender_day_totals rows
 * locked until commit, so two batches never clip one sender-day at once.
 */
export async function reclipSenderDays(trx: Db, keys: readonly SenderDayKey[] | 'all'): Promise<void> {
  if (keys !== 'all' && keys.length === 0) return
  const which =
    keys === 'all'
      ? sql`exists (select 1 from sender_day_totals t where t.day = s.day and t.sender_id = s.sender_id
          and greatest(t.sends, t.clicks) > ${sql.lit(PRECOMPUTED_BOUND)})`
      : sql`(s.day, s.sender_id) in (select * from unnest(${keys.map((k) => k.day)}::date[],
          ${keys.map((k) => k.senderId)}::uuid[]))`
  if (keys === 'all') await sql`truncate sender_day_clips, share_rollups_clipped`.execute(trx)
  // The builder clips a sender-day's rows in this order (sendersOverCap's), so ties fall the same way.
  const { rows } = await sql<ClipRow>`
    select s.day::text as day, s.sender_id as "senderId", s.interface, s.surface, s.variant,
      s.recipient_type as "recipientType", s.sends, s.clicks, s.unique_clicks as "uniqueClicks",
      coalesce(c.sends, 0) as "oldSends", coalesce(c.clicks, 0) as "oldClicks",
      coalesce(c.unique_clicks, 0) as "oldUniqueClicks"
    from sender_daily_sends s
    left join sender_day_clips c on c.day = s.day and c.sender_id = s.sender_id and c.interface = s.interface
      and c.surface = s.surface and c.variant = s.variant and c.recipient_type = s.recipient_type
    where ${which}
    order by s.day, s.sender_id, s.interface, s.surface, s.variant, s.recipient_type`.execute(trx)

  const clips: ClipRow[] = []
  const cells = new Map<string, { key: string[]; sends: number; clicks: number; uniqueClicks: number }>()
  const flush = (group: ClipRow[]) => {
    if (group.length === 0) return
    const removed = clipSenderDay(group, PRECOMPUTED_BOUND)
    group.forEach((r, i) => {
      const now = removed[i] as { sends: number; clicks: number; uniqueClicks: number }
      const delta = {
        sends: now.sends - r.oldSends,
        clicks: now.clicks - r.oldClicks,
        uniqueClicks: now.uniqueClicks - r.oldUniqueClicks,
      }
      clips.push({ ...r, ...now })
      if (delta.sends === 0 && delta.clicks === 0 && delta.uniqueClicks === 0) return
      const k = `${r.day}|${r.interface}|${r.surface}|${r.variant}|${r.recipientType}`
      const cell = cells.get(k) ?? {
        key: [r.day, r.interface, r.surface, r.variant, r.recipientType],
        sends: 0,
        clicks: 0,
        uniqueClicks: 0,
      }
      cell.sends += delta.sends
      cell.clicks += delta.clicks
      cell.uniqueClicks += delta.uniqueClicks
      cells.set(k, cell)
    })
  }
  let group: ClipRow[] = []
  for (const r of rows) {
    if (!inDomain(r)) continue
    const last = group[group.length - 1]
    if (last && (last.day !== r.day || last.senderId !== r.senderId)) {
      flush(group)
      group = []
    }
    group.push(r)
  }
  flush(group)

  // Keys sorted, so concurrent batches lock the per-cell rows in one order.
  const deltas = [...cells.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c)
  const at = (i: number) => deltas.map((c) => c.key[i] as string)
  await sql`
    with clips as (
      insert into sender_day_clips as c (day, sender_id, interface, surface, variant, recipient_type, sends,
        clicks, unique_clicks)
      select * from unnest(${clips.map((r) => r.day)}::date[], ${clips.map((r) => r.senderId)}::uuid[],
        ${clips.map((r) => r.interface)}::text[], ${clips.map((r) => r.surface)}::text[],
        ${clips.map((r) => r.variant)}::text[], ${clips.map((r) => r.recipientType)}::text[],
        ${clips.map((r) => r.sends)}::int[], ${clips.map((r) => r.clicks)}::int[],
        ${clips.map((r) => r.uniqueClicks)}::int[])
      on conflict (day, sender_id, interface, surface, variant, recipient_type) do update set
        sends = excluded.sends, clicks = excluded.clicks, unique_clicks = excluded.unique_clicks)
    insert into share_rollups_clipped as r (day, interface, surface, variant, recipient_type, sends, clicks,
      unique_clicks)
    select * from unnest(${at(0)}::date[], ${at(1)}::text[], ${at(2)}::text[], ${at(3)}::text[],
      ${at(4)}::text[], ${deltas.map((c) => c.sends)}::int[], ${deltas.map((c) => c.clicks)}::int[],
      ${deltas.map((c) => c.uniqueClicks)}::int[])
    on conflict (day, interface, surface, variant, recipient_type) do update set
      sends = r.sends + excluded.sends, clicks = r.clicks + excluded.clicks,
      unique_clicks = r.unique_clicks + excluded.unique_clicks`.execute(trx)
  if (keys === 'all') {
    await sql`
      insert into clip_precompute (bound, variants) values (${PRECOMPUTED_BOUND}, ${[...PRECOMPUTED_VARIANTS]}::text[])
      on conflict (bound) do update set variants = excluded.variants`.execute(trx)
  }
}
