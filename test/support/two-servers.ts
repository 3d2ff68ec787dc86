// A real Tandem and a real listening Marquee, Marquee registered at Tandem with its real JWKS and
// holding agreements for every API, as the demo start script does: for tests that cross the two.
import { ManualClock } from '../../src/lib/clock.ts'
import { createTestDatabase } from '../../src/lib/testing/test-db.ts'
import { buildMarqueeApp } from '../../src/marquee/app.ts'
import { type MarqueeConfig, testMarqueeConfig } from '../../src/marquee/config.ts'
import type { MarqueeDatabase } from '../../src/marquee/db.ts'
import { migrations as marqueeMigrations } from '../../src/marquee/migrations/index.ts'
import { saveTandemRegistration } from '../../src/marquee/tandem-link/index.ts'
import { freePort, startListeningTandem } from '../../src/tandem/oauth/testing.ts'
import { createAgreements } from '../../src/tandem/partners/agreements.service.ts'
import { partnerDeps, registerPartner } from '../../src/tandem/partners/partners.service.ts'

const DAY_MS = 86_400_000

/** Marquee listening on a free port, on a fresh database, with a manual clock. */
export async function startListeningMarquee(issuer: string, overrides: Partial<MarqueeConfig> = {}) {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const database = await createTestDatabase<MarqueeDatabase>('marquee', marqueeMigrations)
  const clock = new ManualClock(new Date())
  const config = testMarqueeConfig({
    publicOrigin: origin,
    tandem: { issuer, clientId: undefined, webhookSecret: undefined },
    ...overrides,
  })
  const built = await buildMarqueeApp({ config, database, clock })
  await built.app.listen({ host: '127.0.0.1', port })
  return {
    ...built,
    origin,
    clock,
    config,
    database,
    db: database.db,
    async close() {
      await built.app.close()
      await database.drop()
    },
  }
}

export type ListeningMarquee = Awaited<ReturnType<typeof startListeningMarquee>>

export interface TwoServerOptions {
  marquee?: Partial<MarqueeConfig>
  /** When the agreements start (now by default): a test of a past period needs them earlier. */
  agreementsFrom?: Date
  apis?: ('inbox' | 'friends' | 'activity' | 'reporting')[]
}

/** Both servers, Marquee registered at Tandem (its jwks_uri, webhook, redirect URI) and told so. */
export async function startTwoServers(options: TwoServerOptions = {}) {
  const tandem = await startListeningTandem()
  const marquee = await startListeningMarquee(tandem.origin, options.marquee)
  const registered = await registerPartner(tandem.db, partnerDeps(tandem.ctx), {
    name: 'Marquee',
    homepageUrl: `${marquee.origin}/`,
    privacyPolicyUrl: `${marquee.origin}/privacy`,
    redirectUris: [`${marquee.origin}/auth/tandem/callback`],
    jwksUri: `${marquee.origin}/.well-known/jwks.json`,
    webhookUrl: `${marquee.origin}/webhooks/tandem`,
  })
  const clientId = registered.partner.client_id
  const webhookSecret = registered.webhookSecret
  await createAgreements(
    tandem.db,
    { clock: tandem.clock },
    {
      clientId,
      apis: options.apis ?? ['inbox', 'friends', 'activity', 'reporting'],
      ...(options.agreementsFrom ? { validFrom: options.agreementsFrom } : {}),
      validUntil: new Date(tandem.clock.now().getTime() + 365 * DAY_MS),
    },
  )
  await saveTandemRegistration(marquee.ctx, { clientId, webhookSecret })
  return {
    tandem,
    marquee,
    clientId,
    webhookSecret,
    async close() {
      await marquee.close()
      await tandem.close()
    },
  }
}
