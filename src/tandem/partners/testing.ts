import type { InjectOptions } from 'fastify'
import { ManualClock } from '../../lib/clock.ts'
import { createTestDatabase } from '../../lib/testing/test-db.ts'
import { signUp } from '../accounts/accounts.service.ts'
import { buildTandemApp } from '../app.ts'
import { type TandemConfig, testTandemConfig } from '../config.ts'
import type { TandemDatabase } from '../db.ts'
import { migrations } from '../migrations/index.ts'
import { sessionCookieFrom } from '../testing.ts'
import { type PartnerRouteOptions, registerPartnerRoutes } from './partners.routes.ts'

/** A Tandem app with the partner admin routes, on a fresh database, with a manual clock. */
export async function makePartnerTandem(
  overrides: Partial<TandemConfig> = {},
  options: PartnerRouteOptions & { start?: string } = {},
) {
  const database = await createTestDatabase<TandemDatabase>('tandem', migrations)
  const clock = new ManualClock(options.start ?? '2026-03-02T09:30:00Z')
  // Tests move the clock by months; sessions must outlive that.
  const config = testTandemConfig({ sessionTtlDays: 3650, ...overrides })
  // `partnerRoutes` is for an app.ts that registers the partner routes itself (spreading these test hooks
  // over its own); until it does, they are registered here.
  const deps = { config, database, clock, partnerRoutes: options }
  const built = await buildTandemApp(deps)
  if (!built.app.hasRoute({ method: 'POST', url: '/api/admin/partners' }))
    registerPartnerRoutes(built.app, built.ctx, options)
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
    async makeUser(overrides: { username?: string; isAdmin?: boolean } = {}) {
      counter += 1
      const username = overrides.username ?? `user${counter}_${Math.random().toString(36).slice(2, 8)}`
      const password = 'correct horse battery'
      const user = await signUp(database.db, {
        username,
        displayName: `User ${counter}`,
        password,
        isAdmin: overrides.isAdmin ?? false,
      })
      const res = await built.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { username, password },
      })
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
      return { ...user, cookie: sessionCookieFrom(res) }
    },
    /** `app.inject` with the user's session cookie. */
    as(user: { cookie: string }, options: InjectOptions) {
      return built.app.inject({ ...options, headers: { ...options.headers, cookie: user.cookie } })
    },
  }
  return tandem
}

export type PartnerTandem = Awaited<ReturnType<typeof makePartnerTandem>>

/** A valid registration body; override what a test is about. */
export function partnerBody(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Marquee',
    homepageUrl: 'https://marquee.example/',
    privacyPolicyUrl: 'https://marquee.example/privacy',
    redirectUris: ['https://marquee.example/auth/tandem/callback'],
    jwksUri: 'https://marquee.example/.well-known/jwks.json',
    webhookUrl: 'https://marquee.example/webhooks/tandem',
    ...overrides,
  }
}
