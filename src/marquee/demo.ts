import type { Clock } from '../lib/clock.ts'
import { findUserByUsername, signUp } from './accounts/accounts.service.ts'
import { seedCatalogDemo } from './catalog/catalog.demo.ts'
import type { Db } from './db.ts'

export const DEMO_PASSWORD = 'demo-password'

/** The same people as on Tandem (DESIGN.md section 5); Marquee's admin is its operator. */
export const DEMO_USERS = [
  { username: 'ana', displayName: 'Ana Lima', isAdmin: false },
  { username: 'ben', displayName: 'Ben Okafor', isAdmin: false },
  { username: 'cleo', displayName: 'Cleo Park', isAdmin: false },
  { username: 'admin', displayName: 'Marquee Admin', isAdmin: true },
] as const

/** Demo viewers with watch histories. Runs once: a database that has them is left alone. */
export async function seedMarqueeDemo(
  db: Db,
  clock: Clock,
  progress?: (step: string) => void,
): Promise<boolean> {
  if (await findUserByUsername(db, 'ana')) return false
  const ids: Record<string, string> = {}
  for (const u of DEMO_USERS) {
    progress?.(`creating ${u.username} on Marquee`)
    ids[u.username] = (await signUp(db, { ...u, password: DEMO_PASSWORD })).id
  }
  // Ben lets his Marquee friends see what he watched, for "friends who might like this".
  await db.updateTable('users').set({ share_history_with_friends: true }).where('id', '=', ids.ben!).execute()
  progress?.('writing watch histories')
  await seedCatalogDemo(db, clock, { ana: ids.ana!, ben: ids.ben!, cleo: ids.cleo! })
  return true
}
