import type { Clock } from '../lib/clock.ts'
import type { SecretBox } from '../lib/secret-box.ts'
import { findUserByUsername } from './accounts/accounts.repository.ts'
import { type Actor, signUp } from './accounts/accounts.service.ts'
import type { TandemConfig } from './config.ts'
import type { Db } from './db.ts'
import { createThread, sendMessage } from './messaging/messaging.service.ts'
import { createAgreements } from './partners/agreements.service.ts'
import { partnerUrlRules } from './partners/partner-urls.ts'
import { findPartner, registerPartner } from './partners/partners.service.ts'
import { requestFriend } from './social/social.service.ts'
import { enqueueAgreementWebhook } from './webhooks/webhooks.events.ts'

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
  // Cleo lets friends' apps suggest themselves to her (story 3); the setting is off by default.
  await db.updateTable('users').set({ allow_suggestions: true }).where('id', '=', cleo.userId).execute()
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

export const DEMO_PARTNER_CLIENT_ID = 'marquee'

/**
 * Registers Marquee, served at `partnerOrigin`, as the demo's partner, with agreements for every privileged
 * API for a year and the biweekly report as obligation. Answers the webhook secret (shown only this once),
 * or undefined when Marquee is registered already.
 */
export async function registerDemoPartner(
  db: Db,
  deps: { clock: Clock; secrets: SecretBox; config: Pick<TandemConfig, 'env' | 'allowLoopbackPartnerUrls'> },
  partnerOrigin: string,
): Promise<{ clientId: string; webhookSecret: string } | undefined> {
  if (await findPartner(db, DEMO_PARTNER_CLIENT_ID)) return undefined
  const { partner, webhookSecret } = await registerPartner(
    db,
    { clock: deps.clock, secrets: deps.secrets, urls: partnerUrlRules(deps.config) },
    {
      clientId: DEMO_PARTNER_CLIENT_ID,
      name: 'Marquee',
      homepageUrl: `${partnerOrigin}/`,
      privacyPolicyUrl: `${partnerOrigin}/privacy`,
      redirectUris: [`${partnerOrigin}/auth/tandem/callback`],
      jwksUri: `${partnerOrigin}/.well-known/jwks.json`,
      webhookUrl: `${partnerOrigin}/webhooks/tandem`,
    },
  )
  await createAgreements(
    db,
    {
      clock: deps.clock,
      onAgreementChange: (trx, change) => enqueueAgreementWebhook(trx, deps.clock, change),
    },
    {
      clientId: partner.client_id,
      apis: ['inbox', 'friends', 'activity', 'reporting'],
      validUntil: new Date(deps.clock.now().getTime() + 365 * 86_400_000),
      obligations: { reportEveryDays: 14 },
    },
  )
  return { clientId: partner.client_id, webhookSecret }
}
