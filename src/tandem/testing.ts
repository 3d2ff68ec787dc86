import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { ManualClock } from '../lib/clock.ts'
import { createTestDatabase } from '../lib/testing/test-db.ts'
import { signUp } from './accounts/accounts.service.ts'
import { buildTandemApp } from './app.ts'
import { type TandemConfig, testTandemConfig } from './config.ts'
import type { TandemDatabase } from './db.ts'
import { migrations } from './migrations/index.ts'
import { insertFriendship } from './social/social.repository.ts'

/** A Tandem app on a fresh database, with a manual clock; call `close` in `after`. */
export async function makeTandem(overrides: Partial<TandemConfig> = {}) {
  const database = await createTestDatabase<TandemDatabase>('tandem', migrations)
  const clock = new ManualClock(new Date())
  const config = testTandemConfig(overrides)
  const built = await buildTandemApp({ config, database, clock })
  await built.app.ready()
  let counter = 0
  const tandem = {
    ...built,
    database,
    db: database.db,
    clock,
    config,
    async close() {
      await built.app.close()
      await database.drop()
    },
    /** Inserts a user through the real service; unique names unless given. */
    async makeUser(
      overrides: { username?: string; displayName?: string; password?: string; isAdmin?: boolean } = {},
    ) {
      counter += 1
      const username = overrides.username ?? `user${counter}_${Math.random().toString(36).slice(2, 8)}`
      const password = overrides.password ?? 'correct horse battery'
      const user = await signUp(database.db, {
        username,
        displayName: overrides.displayName ?? `User ${counter}`,
        password,
        isAdmin: overrides.isAdmin ?? false,
      })
      const cookie = await tandem.login(username, password)
      return { ...user, cookie, password }
    },
    async login(username: string, password: string): Promise<string> {
      const res = await built.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { username, password },
      })
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
      return sessionCookieFrom(res)
    },
    async befriend(a: { id: string }, b: { id: string }) {
      await insertFriendship(database.db, a.id, b.id, clock.now())
    },
    /** `app.inject` with the user's session cookie. */
    as(user: { cookie: string }, options: InjectOptions) {
      return built.app.inject({ ...options, headers: { ...options.headers, cookie: user.cookie } })
    },
  }
  return tandem
}

export type TestTandem = Awaited<ReturnType<typeof makeTandem>>

export function sessionCookieFrom(res: LightMyRequestResponse): string {
  const cookie = res.cookies.find((c) => c.name === 'tandem_session')
  if (!cookie) throw new Error('no session cookie in response')
  return `tandem_session=${cookie.value}`
}
