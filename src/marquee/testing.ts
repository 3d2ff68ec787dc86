import { randomUUID } from 'node:crypto'
import { after, before, beforeEach } from 'node:test'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { ManualClock } from '../lib/clock.ts'
import { createTestDatabase, type TestDatabase } from '../lib/testing/test-db.ts'
import { signUp } from './accounts/accounts.service.ts'
import { buildMarqueeApp } from './app.ts'
import { type MarqueeConfig, testMarqueeConfig } from './config.ts'
import type { MarqueeDatabase } from './db.ts'
import { truncateEvents } from './events/derived-tables.ts'
import type { MarqueeEvent, SentEvent } from './events/events.service.ts'
import { migrations } from './migrations/index.ts'

/** The `name=value` of the session cookie a response set. */
export function sessionCookieFrom(res: LightMyRequestResponse): string {
  const cookie = res.cookies.find((c) => c.name === 'marquee_session')
  if (!cookie) throw new Error(`no session cookie in ${res.statusCode} ${res.body}`)
  return `marquee_session=${cookie.value}`
}

/** A Marquee app on a fresh database, with a manual clock; call `close` in `after`. */
export async function makeMarquee(overrides: Partial<MarqueeConfig> = {}) {
  const database = await createTestDatabase<MarqueeDatabase>('marquee', migrations)
  const clock = new ManualClock(new Date())
  const config = testMarqueeConfig(overrides)
  const built = await buildMarqueeApp({ config, database, clock })
  await built.app.ready()
  let counter = 0
  const marquee = {
    ...built,
    database,
    db: database.db,
    clock,
    config,
    async close() {
      await built.app.close()
      await database.drop()
    },
    /** Inserts a user through the real service and logs in; unique names unless given. */
    async makeUser(overrides: { username?: string; displayName?: string; password?: string } = {}) {
      counter += 1
      const username = overrides.username ?? `viewer${counter}_${Math.random().toString(36).slice(2, 8)}`
      const password = overrides.password ?? 'correct horse battery'
      const user = await signUp(database.db, {
        username,
        displayName: overrides.displayName ?? `Viewer ${counter}`,
        password,
      })
      const res = await built.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { username, password },
      })
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
      return { ...user, cookie: sessionCookieFrom(res), password }
    },
    /** `app.inject` with the user's session cookie. */
    as(user: { cookie: string }, options: InjectOptions) {
      return built.app.inject({ ...options, headers: { ...options.headers, cookie: user.cookie } })
    },
  }
  return marquee
}

export type TestMarquee = Awaited<ReturnType<typeof makeMarquee>>

/**
 * A Marquee database for ingest tests, made before the file's tests and dropped after them, with every
 * table that ingest writes emptied before each test. `database()` is it once made.
 */
export function ingestTestDatabase(): () => TestDatabase<MarqueeDatabase> {
  let database: TestDatabase<MarqueeDatabase> | undefined
  before(async () => {
    database = await createTestDatabase<MarqueeDatabase>('marquee', migrations)
  })
  after(async () => {
    await database?.drop()
  })
  beforeEach(async () => {
    await truncateEvents(database!.db)
  })
  return () => database!
}

/** A send in one cell (web, post_play, classic, tandem) at `at`. */
export const testSend = (
  at: Date,
  senderId: string = randomUUID(),
  sendId: string = randomUUID(),
): SentEvent => ({
  type: 'recommendation.sent',
  sendId,
  senderId,
  titleId: 'title-1',
  interface: 'web',
  surface: 'post_play',
  variant: 'classic',
  recipientType: 'tandem',
  at,
})

/** A human GET on a send's link and the landing page's confirmation of it, a minute after `sentAt`. */
export function testConfirmedClick(sendId: string, sentAt: Date): MarqueeEvent[] {
  const id = randomUUID()
  const at = new Date(sentAt.getTime() + 60_000)
  return [
    { type: 'recommendation.clicked', id, sendId, clickClass: 'human', at },
    { type: 'recommendation.click_confirmed', id, sendId, at },
  ]
}
