import type { Clock } from '../lib/clock.ts'
import { findUserByUsername } from './accounts/accounts.repository.ts'
import { type Actor, signUp } from './accounts/accounts.service.ts'
import type { Db } from './db.ts'
import { createThread, sendMessage } from './messaging/messaging.service.ts'
import { requestFriend } from './social/social.service.ts'

export const DEMO_PASSWORD = 'demo-password'

export const DEMO_USERS = [
  { username: 'ana', displayName: 'Ana Lima', isAdmin: false },
  { username: 'ben', displayName: 'Ben Okafor', isAdmin: false },
  { username: 'cleo', displayName: 'Cleo Park', isAdmin: false },
  { username: 'admin', displayName: 'Tandem Admin', isAdmin: true },
] as const

/** Demo people, friendships and a few conversations. Runs once: a database that has them is left alone. */
export async function seedTandemDemo(
  db: Db,
  clock: Clock,
  origin: string,
  progress?: (step: string) => void,
) {
  if (await findUserByUsername(db, 'ana')) return false
  const actors: Record<string, Actor> = {}
  for (const u of DEMO_USERS) {
    progress?.(`creating ${u.username}`)
    const user = await signUp(db, { ...u, password: DEMO_PASSWORD })
    actors[u.username] = {
      userId: user.id,
      username: user.username,
      displayName: user.display_name,
      isAdmin: u.isAdmin,
    }
  }
  const { ana, ben, cleo } = actors as Record<'ana' | 'ben' | 'cleo', Actor>
  progress?.('making friends')
  for (const [a, b] of [
    [ana, ben],
    [ana, cleo],
    [ben, cleo],
  ] as const) {
    await requestFriend(db, clock, a, b.username)
    await requestFriend(db, clock, b, a.username)
  }
  progress?.('writing conversations')
  const deps = { clock, origin }
  const direct = (await createThread(db, deps, ana, { usernames: ['ben'] })).thread
  await sendMessage(db, deps, ben, { threadId: direct.id, text: 'Are we still on for Friday?' })
  await sendMessage(db, deps, ana, { threadId: direct.id, text: 'Yes! Pick a film, I will bring snacks.' })
  const group = (await createThread(db, deps, cleo, { usernames: ['ana', 'ben'], title: 'Movie night' }))
    .thread
  await sendMessage(db, deps, cleo, {
    threadId: group.id,
    text: 'The schedule for the film club is up: https://example.org/film-club',
  })
  await sendMessage(db, deps, ben, { threadId: group.id, text: 'I vote for something with subtitles.' })
  return true
}
