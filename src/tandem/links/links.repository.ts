import { sql } from 'kysely'
import type { Db } from '../db.ts'

export async function findLinkTarget(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('links').select('url').where('id', '=', id).executeTakeFirst()
  return row?.url
}

/** One row per link per flush: `clicks` clicks on the link, the first of them at `clicked_at`. */
export interface ClickRow {
  link_id: string
  clicked_at: Date
  clicks: number
}

/** One statement with three array parameters, whatever the batch size: cheap to build, plan and send. */
export async function insertClicks(db: Db, rows: ClickRow[]): Promise<void> {
  const ids = rows.map((c) => c.link_id)
  const times = rows.map((c) => c.clicked_at.toISOString())
  const counts = rows.map((c) => c.clicks)
  await sql`insert into link_clicks (link_id, clicked_at, clicks)
    select * from unnest(${ids}::text[], ${times}::timestamptz[], ${counts}::int[])`.execute(db)
}

/** Every click recorded on a link (rows aggregate the clicks of one flush). */
export async function countClicks(db: Db, linkId: string): Promise<number> {
  const row = await db
    .selectFrom('link_clicks')
    .select(sql<string>`coalesce(sum(clicks), 0)`.as('n'))
    .where('link_id', '=', linkId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
