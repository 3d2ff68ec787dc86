import { sql } from 'kysely'
import type { Db } from '../db.ts'
import { reclipSenderDays } from './clipping.ts'

// The queue first: a rebuild derives what it holds from the events, and waits here (before it locks the
// tables an applier writes) for an applier that took rows from it.
const TABLES = [
  'sender_counts_queue',
  'share_rollups',
  'share_rollups_late',
  'sender_daily_sends',
  'sender_day_totals',
  'confirmed_sends',
]

interface CellRow {
  kind: 'cell' | 'late'
  day: string
  interface: string
  surface: string
  variant: string
  recipient_type: string
  arrived_day: string | null
  sends: number
  clicks: number
  unique_clicks: number
  h: number
  p: number
  s: number
  u: number
}

/**
 * The per-cell rollups only (share_rollups and the late bucket): what a report reads besides the
 * per-sender counts, rebuilt without touching those (which ingest keeps as it goes).
 *
 * Sends are counted per cell straight from the table (a send is in its own cell: no join). Clicks and
 * confirmations are joined to their send and counted per cell, window and (when late) the day they
 * came, so every group is a cell and the aggregation stays a few hundred rows. A confirmation is its
 * send's unique click in its bucket when it is the send's only confirmation, which holds for nearly all
 * of them: the few sends confirmed more than once are found first (by id alone, no join) and counted
 * apart, one per send and bucket (in the late bucket, on the day of the send's first late
 * confirmation). It is a SELECT, so PostgreSQL may run it in parallel (an INSERT … SELECT never is);
 * the few hundred rows it returns are inserted after.
 */
async function rebuildCellRollups(trx: Db): Promise<{ rollups: number; senderRows: number }> {
  await sql`lock table events in share mode`.execute(trx)
  await sql`set local synchronous_commit = off`.execute(trx)
  await sql`set local work_mem = '256MB'`.execute(trx)
  // The join's output is wide and cheap to pass between processes next to the hash join it splits.
  await sql`set local parallel_setup_cost = 10`.execute(trx)
  await sql`set local parallel_tuple_cost = 0.01`.execute(trx)
  // Compiling the statement (JIT) costs more than it saves on its expressions: measured both ways.
  await sql`set local jit = off`.execute(trx)
  await sql`truncate share_rollups, share_rollups_late`.execute(trx)
  // A parameter, not a subquery: the statement below stays parallel-safe.
  const { rows: repeated } = await sql<{ send_id: string }>`
    select send_id from events where type = 'recommendation.click_confirmed'
    group by send_id having count(*) > 1`.execute(trx)
  const confirmedTwice = repeated.map((r) => r.send_id)
  const { rows } = await sql<CellRow>`
    with parts as (
      select (occurred_at at time zone 'UTC')::date as day, interface, surface, variant, recipient_type,
        false as late, null::date as arrived_day, count(*) as sends, 0::bigint as clicks, 0::bigint as unique_clicks,
        count(*) filter (where click_class = 'human') as h,
        count(*) filter (where click_class = 'preview_fetch') as p,
        count(*) filter (where click_class = 'scanner') as s,
        count(*) filter (where click_class = 'unknown') as u
      from events where type = 'recommendation.sent'
      group by 1, 2, 3, 4, 5
      union all
      select (s.occurred_at at time zone 'UTC')::date, s.interface, s.surface, s.variant, s.recipient_type, w.late,
        case when w.late then (e.occurred_at at time zone 'UTC')::date end, 0,
        count(*) filter (where e.type = 'recommendation.click_confirmed'),
        count(*) filter (where e.type = 'recommendation.click_confirmed' and e.send_id <> all(${confirmedTwice}::uuid[])),
        count(*) filter (where e.click_class = 'human'),
        count(*) filter (where e.click_class = 'preview_fetch'),
        count(*) filter (where e.click_class = 'scanner'),
        count(*) filter (where e.click_class = 'unknown')
      from events e join events s on s.id = e.send_id and s.type = 'recommendation.sent',
        lateral (select e.occurred_at - s.occurred_at > interval '7 days' as late) w
      where e.type <> 'recommendation.sent'
      group by 1, 2, 3, 4, 5, 6, 7
      union all
      select day, interface, surface, variant, recipient_type, late, arrived_day, 0, 0, count(*), 0, 0, 0, 0
      from (
        select distinct on (e.send_id, w.late) (s.occurred_at at time zone 'UTC')::date as day, s.interface,
          s.surface, s.variant, s.recipient_type, w.late,
          case when w.late then (e.occurred_at at time zone 'UTC')::date end as arrived_day
        from events e join events s on s.id = e.send_id and s.type = 'recommendation.sent',
          lateral (select e.occurred_at - s.occurred_at > interval '7 days' as late) w
        where e.type = 'recommendation.click_confirmed' and e.send_id = any(${confirmedTwice}::uuid[])
        order by e.send_id, w.late, e.occurred_at
      ) f
      group by 1, 2, 3, 4, 5, 6, 7
    )
    select case when late then 'late' else 'cell' end as kind, day::text as day, interface, surface, variant,
      recipient_type, arrived_day::text as arrived_day, sum(sends)::int as sends, sum(clicks)::int as clicks,
      sum(unique_clicks)::int as unique_clicks, sum(h)::int as h, sum(p)::int as p, sum(s)::int as s,
      sum(u)::int as u
    from parts
    group by late, day, interface, surface, variant, recipient_type, arrived_day`.execute(trx)
  const cells = rows.filter((r) => r.kind === 'cell')
  const late = rows.filter((r) => r.kind === 'late')
  if (cells.length > 0) {
    await sql`
      insert into share_rollups (day, interface, surface, variant, recipient_type, sends, clicks, unique_clicks,
        clicked_human, clicked_preview_fetch, clicked_scanner, clicked_unknown)
      select * from unnest(${cells.map((r) => r.day)}::date[], ${cells.map((r) => r.interface)}::text[],
        ${cells.map((r) => r.surface)}::text[], ${cells.map((r) => r.variant)}::text[],
        ${cells.map((r) => r.recipient_type)}::text[], ${cells.map((r) => r.sends)}::int[],
        ${cells.map((r) => r.clicks)}::int[], ${cells.map((r) => r.unique_clicks)}::int[],
        ${cells.map((r) => r.h)}::int[], ${cells.map((r) => r.p)}::int[], ${cells.map((r) => r.s)}::int[],
        ${cells.map((r) => r.u)}::int[])`.execute(trx)
  }
  if (late.length > 0) {
    await sql`
      insert into share_rollups_late (day, interface, surface, variant, recipient_type, arrived_day, clicks,
        unique_clicks, clicked_human, clicked_preview_fetch, clicked_scanner, clicked_unknown)
      select * from unnest(${late.map((r) => r.day)}::date[], ${late.map((r) => r.interface)}::text[],
        ${late.map((r) => r.surface)}::text[], ${late.map((r) => r.variant)}::text[],
        ${late.map((r) => r.recipient_type)}::text[], ${late.map((r) => r.arrived_day as string)}::date[],
        ${late.map((r) => r.clicks)}::int[], ${late.map((r) => r.unique_clicks)}::int[],
        ${late.map((r) => r.h)}::int[], ${late.map((r) => r.p)}::int[], ${late.map((r) => r.s)}::int[],
        ${late.map((r) => r.u)}::int[])`.execute(trx)
  }
  return { rollups: cells.length, senderRows: 0 }
}

export type RebuildStage =
  | 'joining clicks to their sends'
  | 'daily rollups'
  | 'late bucket'
  | 'per-sender counts'
  | 'confirmed sends'
  | 'indexes'
  | 'clipping'

/**
 * Rebuilds every table derived from the raw events (share_rollups, share_rollups_late,
 * sender_daily_sends with its per-sender-day totals and clipping at the default bound, confirmed_sends)
 * from `events` alone, with the rules ingest applies batch by batch: a send counts in the cell of its
 * UTC day; a click counts there when it came within 7 days of its send (CLICK_WINDOW_MS, strictly more
 * is late) and in the late bucket of the day it came otherwise; a send's first confirmation in each
 * bucket is its unique click; clicks whose send is not recorded stay pending. Per-sender counts still
 * queued by ingest (sender_counts_queue) are dropped: the rebuild derives them from the events. For
 * recovery and for checking the incremental rollups. Ingest waits while it runs (the events are locked
 * against writes), so the result is one consistent state.
 */
export async function rebuildRollups(
  db: Db,
  options: { scope?: 'all' | 'rollups'; onStage?: (stage: RebuildStage) => void } = {},
): Promise<{ rollups: number; senderRows: number }> {
  const stage = options.onStage ?? (() => {})
  if (options.scope === 'rollups') {
    return db.isTransaction ? rebuildCellRollups(db) : db.transaction().execute(rebuildCellRollups)
  }
  const run = async (trx: Db) => {
    await sql`lock table events in share mode`.execute(trx)
    // A rebuild can simply run again: its commit need not wait for the disk; sorts and hashes in memory.
    await sql`set local synchronous_commit = off`.execute(trx)
    await sql`set local work_mem = '256MB'`.execute(trx)
    await sql.raw(`truncate ${TABLES.join(', ')}`).execute(trx)
    // The two large tables get their primary keys back after the fill: one sorted index build costs a
    // fraction of a row-by-row insert into a six-column B-tree.
    await sql`alter table sender_daily_sends drop constraint sender_daily_sends_pkey`.execute(trx)
    await sql`alter table confirmed_sends drop constraint confirmed_sends_pkey`.execute(trx)
    // Clicks and confirmations with their send's cell, once: every derived table reads from here.
    stage('joining clicks to their sends')
    await sql`
      create temp table rebuild_clicks on commit drop as
      select c.type, c.send_id, c.occurred_at, c.click_class, s.sender_id,
        (s.occurred_at at time zone 'UTC')::date as day, s.interface, s.surface, s.variant, s.recipient_type,
        c.occurred_at - s.occurred_at > interval '7 days' as late,
        (c.occurred_at at time zone 'UTC')::date as arrived_day
      from events c join events s on s.type = 'recommendation.sent' and s.id = c.send_id
      where c.type <> 'recommendation.sent'`.execute(trx)
    stage('daily rollups')
    const rollups = await sql`
      insert into share_rollups (day, interface, surface, variant, recipient_type, sends, clicks, unique_clicks,
        clicked_human, clicked_preview_fetch, clicked_scanner, clicked_unknown)
      select day, interface, surface, variant, recipient_type, sum(sends), sum(clicks), sum(unique_clicks),
        sum(h), sum(p), sum(s), sum(u)
      from (
        select (occurred_at at time zone 'UTC')::date as day, interface, surface, variant, recipient_type,
          count(*) as sends, 0 as clicks, 0 as unique_clicks, 0 as h, 0 as p, 0 as s, 0 as u
        from events where type = 'recommendation.sent'
        group by 1, 2, 3, 4, 5
        union all
        select day, interface, surface, variant, recipient_type, 0,
          count(*) filter (where type = 'recommendation.click_confirmed'),
          count(distinct send_id) filter (where type = 'recommendation.click_confirmed'),
          count(*) filter (where click_class = 'human'),
          count(*) filter (where click_class = 'preview_fetch'),
          count(*) filter (where click_class = 'scanner'),
          count(*) filter (where click_class = 'unknown')
        from rebuild_clicks where not late
        group by 1, 2, 3, 4, 5
      ) t
      group by 1, 2, 3, 4, 5`.execute(trx)
    stage('late bucket')
    await sql`
      insert into share_rollups_late (day, interface, surface, variant, recipient_type, arrived_day, clicks,
        unique_clicks, clicked_human, clicked_preview_fetch, clicked_scanner, clicked_unknown)
      select c.day, c.interface, c.surface, c.variant, c.recipient_type, c.arrived_day,
        count(*) filter (where c.type = 'recommendation.click_confirmed'),
        count(*) filter (where c.type = 'recommendation.click_confirmed' and f.send_id is not null),
        count(*) filter (where c.click_class = 'human'),
        count(*) filter (where c.click_class = 'preview_fetch'),
        count(*) filter (where c.click_class = 'scanner'),
        count(*) filter (where c.click_class = 'unknown')
      from rebuild_clicks c
      left join (
        select distinct on (send_id) send_id, occurred_at from rebuild_clicks
        where late and type = 'recommendation.click_confirmed'
        order by send_id, occurred_at
      ) f on f.send_id = c.send_id and f.occurred_at = c.occurred_at and c.type = 'recommendation.click_confirmed'
      where c.late
      group by 1, 2, 3, 4, 5, 6`.execute(trx)
    stage('per-sender counts')
    const senders = await sql`
      insert into sender_daily_sends (day, sender_id, interface, surface, variant, recipient_type, sends, clicks,
        unique_clicks)
      select day, sender_id, interface, surface, variant, recipient_type, sum(sends), sum(clicks), sum(unique_clicks)
      from (
        select (occurred_at at time zone 'UTC')::date as day, sender_id, interface, surface, variant,
          recipient_type, count(*) as sends, 0 as clicks, 0 as unique_clicks
        from events where type = 'recommendation.sent'
        group by 1, 2, 3, 4, 5, 6
        union all
        select day, sender_id, interface, surface, variant, recipient_type, 0, count(*), count(distinct send_id)
        from rebuild_clicks where not late and type = 'recommendation.click_confirmed' and sender_id is not null
        group by 1, 2, 3, 4, 5, 6
      ) t
      group by 1, 2, 3, 4, 5, 6`.execute(trx)
    stage('confirmed sends')
    await sql`
      insert into confirmed_sends (send_id, late)
      select distinct send_id, late from rebuild_clicks where type = 'recommendation.click_confirmed'`.execute(
      trx,
    )
    await sql`
      insert into sender_day_totals (day, sender_id, sends, clicks)
      select day, sender_id, sum(sends), sum(clicks) from sender_daily_sends group by 1, 2`.execute(trx)
    stage('indexes')
    await sql`
      alter table sender_daily_sends add constraint sender_daily_sends_pkey
        primary key (day, sender_id, interface, surface, variant, recipient_type)`.execute(trx)
    await sql`alter table confirmed_sends add constraint confirmed_sends_pkey primary key (send_id, late)`.execute(
      trx,
    )
    stage('clipping')
    await reclipSenderDays(trx, 'all')
    // Clicks whose send arrived after them are rolled up now (ingest would have done so on arrival).
    await sql`
      update events e set rolled_up = true
      where not e.rolled_up and exists (
        select 1 from events s where s.type = 'recommendation.sent' and s.id = e.send_id)`.execute(trx)
    return { rollups: Number(rollups.numAffectedRows ?? 0), senderRows: Number(senders.numAffectedRows ?? 0) }
  }
  return db.isTransaction ? run(db) : db.transaction().execute(run)
}
