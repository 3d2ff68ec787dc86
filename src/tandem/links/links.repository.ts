import type { Insertable } from 'kysely'
import type { Db, LinksTable } from '../db.ts'

export async function insertLinks(db: Db, links: Insertable<LinksTable>[]): Promise<void> {
  await db.insertInto('links').values(links).execute()
}

export async function findLinkTarget(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('links').select('url').where('id', '=', id).executeTakeFirst()
  return row?.url
}

export async function insertClicks(db: Db, clicks: { link_id: string; clicked_at: Date }[]): Promise<void> {
  await db.insertInto('link_clicks').values(clicks).execute()
}

export async function countClicks(db: Db, linkId: string): Promise<number> {
  const row = await db
    .selectFrom('link_clicks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('link_id', '=', linkId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
