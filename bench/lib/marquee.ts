import { type Database, openDb } from '../../src/lib/db.ts'
import { migrateToLatest } from '../../src/lib/migrate.ts'
import type { MarqueeDatabase } from '../../src/marquee/db.ts'
import { migrations } from '../../src/marquee/migrations/index.ts'
import { createScratchDatabase } from './database.ts'
import type { BenchContext } from './types.ts'

export { truncateEvents } from '../../src/marquee/events/derived-tables.ts'

/**
 * A fresh, migrated Marquee database on the run's PostgreSQL (`poolSize` connections, two unless
 * given), closed and dropped when the workload ends; `url` for a client of its own.
 */
export async function openMarqueeScratch(
  ctx: BenchContext,
  poolSize = 2,
): Promise<{ database: Database<MarqueeDatabase>; url: string }> {
  ctx.progress.phase('creating and migrating a Marquee database')
  const scratch = await createScratchDatabase(ctx.database)
  ctx.defer(() => scratch.drop())
  if (scratch.kind !== 'postgres') throw new Error('the Marquee workloads need PostgreSQL')
  const database = await openDb<MarqueeDatabase>({ url: scratch.url, poolSize })
  ctx.defer(() => database.close())
  await migrateToLatest(database.db as never, migrations)
  return { database, url: scratch.url }
}
