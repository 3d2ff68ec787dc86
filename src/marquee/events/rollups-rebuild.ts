import { sql } from 'kysely'
import type { Db } from '../db.ts'

const TABLES = [
  'share_rollups',
  'share_rollups_late',
  'sender_daily_sends',
  'sender_day_totals',
  'confirmed_sends',
]

/**
 * The per-cell rollups only (share_rollups and the late bucket), in one statement: what a report
 * reads besides the per-sender counts, rebuilt without touching those (which ingest keeps as it goes).
 */
async function rebuildCellRollups(trx: Db): Promise<{ rollups: number; senderRows: number }> {
  await sql`lock table events in share mode`.execute(trx)
  await sql`set local synchronous_commit = off`.execute(trx)
  await sql`set local work_mem = '256MB'`.execute(trx)
  await sql`truncate share_rollups, share_rollups_late`.execute(trx)
  const { rows } = await sql<{ rollups: number }>`
    with clicks as materialized (
      select c.type, c.send_id, c.occurred_at, c.click_class,
        (s.occurred_at at time zone 'UTC')::date as day, s.interface, s.surface, s.variant, s.recipient_type,
        c.occurred_at - s.occurred_at > interval '7 days' as late,
        (c.occurred_at at time zone 'UTC')::date as arrived_day
      from events c join events s on s.type = 'recommendation.sent' and s.id = c.send_id
      where c.type <> 'recommendation.sent'
    ),
    -- A send has a unique click in its window exactly when its first confirmation is in the window: no
    -- count(distinct …), whose sort would cost more than everything else here.
    firsts as (
      select send_id, min(occurred_at) as first_at from events
      where type = 'recommendation.click_confirmed' group by send_id
    ),
    rollups as (
      insert into share_rollups (day, interface, surface, variant, recipient_type, sends, clicks, unique_clicks,
        clicked_human, clicked_preview_fetch, clicked_scanner, clicked_unknown)
      select day, interface, surface, variant, recipient_type, sum(sends), sum(clicks), sum(unique_clicks),
        sum(h), sum(p), sum(s), sum(u)
      from (
        select (e.occurred_at at time zone 'UTC')::date as day, e.interface, e.surface, e.variant,
          e.recipient_type, count(*) as sends, 0 as clicks,
          count(*) filter (where f.first_at - e.occurred_at <= interval '7 days') as unique_clicks,
          0 as h, 0 as p, 0 as s, 0 as u
        from events e left join firsts f on f.send_id = e.id
        where e.type = 'recommendation.sent'
        group by 1, 2, 3, 4, 5
        union all
        select day, interface, surface, variant, recipient_type, 0,
          count(*) filter (where type = 'recommendation.click_confirmed'), 0,
          count(*) filter (where click_class = 'human'),
          count(*) filter (where click_class = 'preview_fetch'),
          count(*) filter (where click_class = 'scanner'),
          count(*) filter (where click_class = 'unknown')
        from clicks where not late
        group by 1, 2, 3, 4, 5
      ) t
      group by 1, 2, 3, 4, 5
      returning 1
    ),
    late as (
      insert into share_rollups_late (day, interface, surface, variant, recipient_type, arrived_day, clicks,
        unique_clicks, clicked_human, clicked_preview_fetch, clicked_scanner, clicked_unknown)
      select c.day, c.interface, c.surface, c.variant, c.recipient_type, c.arrived_day,
        count(*) filter (where c.type = 'recommendation.click_confirmed'),
        count(*) filter (where c.type = 'recommendation.click_confirmed' and f.send_id is not null),
        count(*) filter (where c.click_class = 'human'),
        count(*) filter (where c.click_class = 'preview_fetch'),
        count(*) filter (where c.click_class = 'scanner'),
        count(*) filter (where c.click_class = 'unknown')
      from clicks c
      left join (
        select distinct on (send_id) send_id, occurred_at from clicks
        where late and type = 'recommendation.click_confirmed'
        order by send_id, occurred_at
      ) f on f.send_id = c.send_id and f.occurred_at = c.occurred_at and c.type = 'recommendation.click_confirmed'
      where c.late
      group by 1, 2, 3, 4, 5, 6
    )
    select count(*)::int as rollups from rollups`.execute(trx)
  return { rollups: rows[0]?.rollups ?? 0, senderRows: 0 }
}

/**
 * Rebuilds every table derived from the raw events (share_rollups, share_rollups_late,
 * sender_daily_sends and its per-sender-day totals, confirmed_sends) from `events` alone, with the rules ingest applies batch by
 * batch: a send counts in the cell of its UTC day; a click counts there when it came within 7 days of
 * its send (CLICK_WINDOW_MS, strictly more is late) and in the late bucket of the day it came
 * otherwise; a send's first confirmation in each bucket is its unique click; clicks whose send is not
 * recorded stay pending. For recovery and for checking the incremental rollups. Ingest waits while it
 * runs (the events are locked against writes), so the result is one consistent state.
 */
export async function rebuildRollups(
  db: Db,
  options: { scope?: 'all' | 'rollups' } = {},
): Promise<{ rollups: number; senderRows: number }> {
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
    await sql`
      create temp table rebuild_clicks on commit drop as
      select c.type, c.send_id, c.occurred_at, c.click_class, s.sender_id,
        (s.occurred_at at time zone 'UTC')::date as day, s.interface, s.surface, s.variant, s.recipient_type,
        c.occurred_at - s.occurred_at > interval '7 days' as late,
        (c.occurred_at at time zone 'UTC')::date as arrived_day
      from events c join events s on s.type = 'recommendation.sent' and s.id = c.send_id
      where c.type <> 'recommendation.sent'`.execute(trx)
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
    await sql`
      insert into confirmed_sends (send_id, late)
      select distinct send_id, late from rebuild_clicks where type = 'recommendation.click_confirmed'`.execute(
      trx,
    )
    await sql`
      insert into sender_day_totals (day, sender_id, sends, clicks)
      select day, sender_id, sum(sends), sum(clicks) from sender_daily_sends group by 1, 2`.execute(trx)
    await sql`
      alter table sender_daily_sends add constraint sender_daily_sends_pkey
        primary key (day, sender_id, interface, surface, variant, recipient_type)`.execute(trx)
    await sql`alter table confirmed_sends add constraint confirmed_sends_pkey primary key (send_id, late)`.execute(
      trx,
    )
    // Clicks whose send arrived after them are rolled up now (ingest would have done so on arrival).
    await sql`
      update events e set rolled_up = true
      where not e.rolled_up and exists (
        select 1 from events s where s.type = 'recommendation.sent' and s.id = e.send_id)`.execute(trx)
    return { rollups: Number(rollups.numAffectedRows ?? 0), senderRows: Number(senders.numAffectedRows ?? 0) }
  }
  return db.isTransaction ? run(db) : db.transaction().execute(run)
}
