import { type Insertable, sql } from 'kysely'
import type { Db, LinksTable } from '../db.ts'

export async function insertLinks(db: Db, links: Insertable<LinksTable>[]): Promise<void> {
  await db.insertInto('links').values(links).execute()
}

export async function findLinkTarget(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('links').select('url').where('id', '=', id).executeTakeFirst()
  return row?.url
}

/** One statement with two array parameters, whatever the batch size: cheap to build, plan and send. */
export async function insertClicks(db: Db, clicks: { link_id: string; clicked_at: Date }[]): Promise<void> {
  const ids = clicks.map((c) => c.link_id)
  const times = clicks.map((c) => c.clicked_at.toISOString())
  await sql`insert into link_clicks (link_id, clicked_at)
    select * from unnest(${ids}::text[], ${times}::timestamptz[])`.execute(db)
}

export async function countClicks(db: Db, linkId: string): Promise<number> {
  const row = await db
    .selectFrom('link_clicks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('link_id', '=', linkId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
