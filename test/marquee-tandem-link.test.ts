import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { signWebhook } from '../src/lib/webhook-signature.ts'
import { createMarqueeClient, signJws } from '../src/marquee/tandem-link/index.ts'
import { makeMarquee } from '../src/marquee/testing.ts'
import type { TandemApiError } from '../src/partner-sdk/index.ts'
import type { Actor } from '../src/tandem/accounts/accounts.service.ts'
import {
  authorizeInBrowser,
  Browser,
  type ListeningTandem,
  makeTestUser,
} from '../src/tandem/oauth/testing.ts'
import { requestFriend } from '../src/tandem/social/social.service.ts'
import { type ListeningMarquee, startTwoServers } from './support/two-servers.ts'

const DAY_MS = 86_400_000

let tandem: ListeningTandem
let marquee: ListeningMarquee
let clientId: string
let webhookSecret: string

before(async () => {
  // As the demo start script does: Marquee registered at Tandem with its real JWKS, then told so.
  const servers = await startTwoServers()
  tandem = servers.tandem
  marquee = servers.marquee
  clientId = servers.clientId
  webhookSecret = servers.webhookSecret
})

after(async () => {
  await marquee?.close()
  await tandem?.close()
})

interface Person {
  tandem: Awaited<ReturnType<typeof makeTestUser>>
  actor: Actor
  browser: Browser
  marqueeUser: { username: string; password: string }
}

let counter = 0
async function person(): Promise<Person> {
  counter += 1
  const t = await makeTestUser(tandem.db)
  const browser = new Browser()
  const marqueeUser = {
    username: `viewer${counter}_${Date.now() % 100000}`,
    password: 'correct horse battery',
  }
  const res = await browser.request(`${marquee.origin}/api/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...marqueeUser, displayName: `Viewer ${counter}` }),
  })
  assert.equal(res.status, 201, await res.text())
  const actor: Actor = { userId: t.id, username: t.username, displayName: t.display_name, isAdmin: false }
  return { tandem: t, actor, browser, marqueeUser }
}

async function befriend(a: Person, b: Person) {
  await requestFriend(tandem.db, tandem.clock, a.actor, b.tandem.username)
  await requestFriend(tandem.db, tandem.clock, b.actor, a.tandem.username)
}

const api = async (p: Person, path: string, init: RequestInit = {}) => {
  const res = await p.browser.request(`${marquee.origin}${path}`, {
    ...init,
    headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers }
}

/** Connect with Tandem from Marquee, ticking only `grant` on Tandem's consent screen (everything by default). */
async function connect(p: Person, grant?: string[], query = '') {
  const start = await p.browser.request(`${marquee.origin}/auth/tandem/start${query}`)
  assert.equal(start.status, 302)
  const authorizeUrl = new URL(start.headers.get('location')!)
  assert.equal(authorizeUrl.origin, tandem.origin)
  return finishAt(p, authorizeUrl, grant)
}

async function finishAt(p: Person, authorizeUrl: URL, grant?: string[]) {
  const callback = await authorizeInBrowser(p.browser, tandem.origin, authorizeUrl, p.tandem, grant)
  assert.equal(callback.origin, marquee.origin)
  const back = await p.browser.request(callback)
  assert.equal(back.status, 302)
  return new URL(back.headers.get('location')!, marquee.origin)
}

async function tandemSession(p: Person) {
  const res = await fetch(`${tandem.origin}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: p.tandem.username, password: p.tandem.password }),
  })
  assert.equal(res.status, 200)
  return res.headers.getSetCookie()[0]!.split(';')[0]!
}

/** Tandem's dispatcher, one round at a time until nothing is due. */
async function deliverWebhooks() {
  while ((await tandem.webhooks.runOnce()) > 0);
}

async function marqueeUserId(p: Person): Promise<string> {
  return (await api(p, '/api/me')).body.user.id
}

describe('Marquee ⇄ Tandem: connect, friends, revoke, webhook', () => {
  let ana: Person
  let ben: Person
  let cleo: Person

  before(async () => {
    ana = await person()
    ben = await person()
    cleo = await person()
    await befriend(ana, ben)
    await befriend(ana, cleo)
    await tandem.db
      .updateTable('users')
      .set({ allow_suggestions: true })
      .where('id', '=', cleo.tandem.id)
      .execute()
  })

  test('the JWKS serves public keys only: EdDSA and ES256, each with a kid', async () => {
    const res = await fetch(`${marquee.origin}/.well-known/jwks.json`)
    assert.equal(res.status, 200)
    const { keys } = await res.json()
    assert.deepEqual(keys.map((k: { alg: string }) => k.alg).sort(), ['ES256', 'EdDSA'])
    for (const key of keys) {
      assert.ok(key.kid)
      assert.equal(key.d, undefined, 'no private member')
    }
  })

  test('connect with a partial grant: the status shows exactly the granted scopes; tokens are sealed', async () => {
    const before = await api(ana, '/api/tandem')
    assert.deepEqual(before.body, {
      tandem: {
        connected: false,
        scopes: [],
        connectedAt: null,
        activity: { enabled: false, consentedAt: null, lapsesAt: null, lapsed: false },
      },
    })
    const granted = ['openid', 'profile', 'offline_access', 'recommendations.send', 'friends.app']
    const back = await connect(ana, granted, '?returnTo=/settings')
    assert.equal(back.pathname, '/settings')
    assert.equal(back.searchParams.get('tandem'), 'connected')
    const status = await api(ana, '/api/tandem')
    assert.equal(status.body.tandem.connected, true)
    assert.deepEqual([...status.body.tandem.scopes].sort(), [...granted].sort())
    assert.equal(status.body.tandem.activity.enabled, false)

    const id = await marqueeUserId(ana)
    const rows = await marquee.ctx.db.selectFrom('tandem_connections').selectAll().execute()
    const row = rows.find((r) => r.user_id === id)!
    assert.ok(row.refresh_token_enc, 'a refresh token was issued for offline_access')
    const refresh = marquee.ctx.secrets.open(row.refresh_token_enc, `tandem-refresh:${row.user_id}`)
    const access = marquee.ctx.secrets.open(row.access_token_enc, `tandem-access:${row.user_id}`)
    const dump = JSON.stringify(rows)
    assert.ok(refresh.length >= 20 && !dump.includes(refresh), 'the raw refresh token is not in the table')
    assert.ok(!dump.includes(access), 'the raw access token is not in the table')
  })

  test('SECURITY row 13: a callback with a state this session did not start, or with none, is refused', async () => {
    const res = await ana.browser.request(`${marquee.origin}/auth/tandem/callback?code=x&state=forged`)
    assert.equal(res.status, 302)
    const back = new URL(res.headers.get('location')!, marquee.origin)
    assert.equal(back.searchParams.get('tandem'), 'error')
    assert.equal(back.searchParams.get('reason'), 'invalid_state')
    const none = await ana.browser.request(`${marquee.origin}/auth/tandem/callback?code=x`)
    assert.equal(none.status, 302)
    assert.equal(
      new URL(none.headers.get('location')!, marquee.origin).searchParams.get('reason'),
      'invalid_state',
    )
    // Another Marquee user cannot finish Ana's authorization either.
    const start = await ana.browser.request(`${marquee.origin}/auth/tandem/start`)
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!
    const stolen = await cleo.browser.request(`${marquee.origin}/auth/tandem/callback?code=x&state=${state}`)
    assert.equal(
      new URL(stolen.headers.get('location')!, marquee.origin).searchParams.get('reason'),
      'invalid_state',
    )
  })

  test('mix-up defence (RFC 9207): a callback whose iss is not Tandem is refused, and its state is spent', async () => {
    const start = await ana.browser.request(`${marquee.origin}/auth/tandem/start`)
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!
    const forged = `${marquee.origin}/auth/tandem/callback?code=abc&state=${state}&iss=${encodeURIComponent('https://evil.example')}`
    const res = await ana.browser.request(forged)
    const back = new URL(res.headers.get('location')!, marquee.origin)
    assert.equal(back.searchParams.get('tandem'), 'error')
    // Refused before the code reaches Tandem (which would have answered invalid_grant for this code).
    assert.equal(back.searchParams.get('reason'), 'exchange_failed')
    const replay = await ana.browser.request(
      forged.replace('https%3A%2F%2Fevil.example', encodeURIComponent(tandem.origin)),
    )
    assert.equal(
      new URL(replay.headers.get('location')!, marquee.origin).searchParams.get('reason'),
      'invalid_state',
    )
  })

  test('friends: app friends when friends.app is granted, no suggestions list without friends.suggest', async () => {
    await connect(ben)
    const friends = await api(ana, '/api/tandem/friends')
    assert.equal(friends.status, 200, JSON.stringify(friends.body))
    assert.deepEqual(Object.keys(friends.body), ['appFriends'])
    assert.equal(friends.body.appFriends.length, 1)
    assert.equal(friends.body.appFriends[0].name, ben.tandem.display_name)
    // Ben granted everything: Cleo (not on Marquee, allows suggestions) comes as a handle.
    const bens = await api(ben, '/api/tandem/friends')
    assert.deepEqual(
      bens.body.appFriends.map((f: { name: string }) => f.name),
      [ana.tandem.display_name],
    )
    assert.equal(bens.body.suggestions.length, 0, 'Cleo is not a friend of Ben')
    // ctx.friendsOf: Tandem's app-scoped id of a friend is the subject that friend connected with.
    assert.deepEqual(await marquee.ctx.friendsOf?.(await marqueeUserId(ana)), [await marqueeUserId(ben)])
    const cleos = await api(cleo, '/api/tandem/friends')
    assert.equal(cleos.status, 409)
    assert.equal(cleos.body.error.code, 'tandem_not_connected')
  })

  test('an expired access token is refreshed, the rotated refresh token stored', async () => {
    const id = await marqueeUserId(ana)
    const before = await marquee.ctx.db
      .selectFrom('tandem_connections')
      .selectAll()
      .where('user_id', '=', id)
      .executeTakeFirstOrThrow()
    await marquee.ctx.db
      .updateTable('tandem_connections')
      .set({ access_expires_at: new Date(marquee.clock.now().getTime() - 1000) })
      .where('user_id', '=', id)
      .execute()
    const friends = await api(ana, '/api/tandem/friends')
    assert.equal(friends.status, 200)
    const afterRow = await marquee.ctx.db
      .selectFrom('tandem_connections')
      .selectAll()
      .where('user_id', '=', id)
      .executeTakeFirstOrThrow()
    const open = (enc: string | null) => marquee.ctx.secrets.open(enc!, `tandem-refresh:${id}`)
    assert.notEqual(open(afterRow.refresh_token_enc), open(before.refresh_token_enc), 'rotated')
    assert.ok(afterRow.access_expires_at > marquee.clock.now())
    assert.deepEqual([...afterRow.scopes].sort(), [...before.scopes].sort(), 'same scopes after refresh')
    // Twice more: the rotated token works.
    await marquee.ctx.db
      .updateTable('tandem_connections')
      .set({ access_expires_at: new Date(marquee.clock.now().getTime() - 1000) })
      .where('user_id', '=', id)
      .execute()
    assert.equal((await api(ana, '/api/tandem/friends')).status, 200)
  })

  test('concurrent calls with an expired token refresh once (a rotated refresh token presented twice would end the grant)', async () => {
    const id = await marqueeUserId(ana)
    await marquee.ctx.db
      .updateTable('tandem_connections')
      .set({ access_expires_at: new Date(marquee.clock.now().getTime() - 1000) })
      .where('user_id', '=', id)
      .execute()
    const answers = await Promise.all([1, 2, 3, 4].map(() => api(ana, '/api/tandem/friends')))
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200],
    )
    assert.equal((await api(ana, '/api/tandem')).body.tandem.connected, true)
    assert.equal((await api(ana, '/api/tandem/friends')).status, 200, 'the grant is still alive at Tandem')
  })

  test('revoked in Tandem: the next call fails, the webhook deletes everything and Tandem accepts the receipt', async () => {
    const benId = await marqueeUserId(ben)
    const title = await marquee.ctx.db.selectFrom('titles').select('id').limit(1).executeTakeFirstOrThrow()
    await marquee.ctx.db
      .insertInto('shares')
      .values({
        id: randomUUID(),
        sender_id: benId,
        title_id: title.id,
        interface: 'web',
        surface: 'title_page',
        variant: 'control',
        recipient_type: 'tandem',
        recipient: 'an-app-scoped-id-from-tandem',
        channel: null,
        token: randomUUID(),
        status: 'sent',
        tandem_send_id: null,
        created_at: marquee.clock.now(),
        delivered_at: null,
      })
      .execute()
    const cookie = await tandemSession(ben)
    const revoke = await fetch(`${tandem.origin}/api/connected-apps/${clientId}`, {
      method: 'DELETE',
      headers: { cookie },
    })
    assert.ok(revoke.ok)
    const next = await api(ben, '/api/tandem/friends')
    assert.equal(next.status, 409)
    assert.equal(next.body.error.code, 'tandem_not_connected')
    assert.equal((await api(ben, '/api/tandem')).body.tandem.connected, false)

    // Tandem's queued webhooks reach Marquee: grant.revoked and data.deletion_requested.
    await deliverWebhooks()
    const deliveries = await tandem.db
      .selectFrom('webhook_deliveries')
      .select(['event_type', 'status', 'last_status'])
      .where('client_id', '=', clientId)
      .where('event_type', 'in', ['grant.revoked', 'data.deletion_requested'])
      .execute()
    assert.deepEqual(deliveries.map((d) => [d.event_type, d.status]).sort(), [
      ['data.deletion_requested', 'delivered'],
      ['grant.revoked', 'delivered'],
    ])
    const page = await (await fetch(`${tandem.origin}/api/connected-apps`, { headers: { cookie } })).json()
    const gone = page.disconnected.find((d: { clientId: string }) => d.clientId === clientId)
    assert.equal(gone.deletion.status, 'received')
    const receipts = await marquee.ctx.db.selectFrom('tandem_deletion_receipts').selectAll().execute()
    assert.equal(receipts.length, 1)
    const shares = await marquee.ctx.db
      .selectFrom('shares')
      .select('recipient')
      .where('sender_id', '=', benId)
      .execute()
    assert.deepEqual(shares, [{ recipient: null }], 'the recipient ids from Tandem are gone, the send stays')
  })

  test('revoked while Marquee is idle: the webhook alone deletes the tokens', async () => {
    const dan = await person()
    await connect(dan)
    const id = await marqueeUserId(dan)
    const cookie = await tandemSession(dan)
    await fetch(`${tandem.origin}/api/connected-apps/${clientId}`, { method: 'DELETE', headers: { cookie } })
    assert.ok(
      await marquee.ctx.db
        .selectFrom('tandem_connections')
        .where('user_id', '=', id)
        .select('user_id')
        .executeTakeFirst(),
    )
    await deliverWebhooks()
    assert.equal(
      await marquee.ctx.db
        .selectFrom('tandem_connections')
        .where('user_id', '=', id)
        .select('user_id')
        .executeTakeFirst(),
      undefined,
    )
  })

  test('Marquee itself gets a client-credentials token (private_key_jwt) for the Reporting API', async () => {
    const client = createMarqueeClient(marquee.ctx)
    const report = await signJws(marquee.ctx, { schema: 'tandem.partner-report/1', partner: clientId })
    // The token is accepted and the EdDSA signature verifies with the registered JWKS: what Tandem
    // refuses is this report's content, not the caller.
    await assert.rejects(client.submitReport(report), (error: TandemApiError) => {
      assert.equal(error.status, 400, `${error.status} ${error.code}`)
      assert.equal(error.code, 'invalid_report')
      return true
    })
  })

  test('webhook: a bad or stale signature is 400; a repeated event id is acknowledged once', async () => {
    const body = JSON.stringify({
      id: 'evt-agreement-1',
      type: 'agreement.extended',
      createdAt: new Date().toISOString(),
      data: { api: 'inbox', validUntil: '2030-01-01T00:00:00Z' },
    })
    const now = Math.floor(marquee.clock.now().getTime() / 1000)
    const post = (signature: string, payload = body) =>
      fetch(`${marquee.origin}/webhooks/tandem`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'tandem-signature': signature },
        body: payload,
      })
    const bad = await post(signWebhook('whsec_not_the_secret_at_all', body, now))
    assert.equal(bad.status, 400)
    assert.equal((await bad.json()).error.code, 'invalid_signature')
    const tampered = await post(signWebhook(webhookSecret, body, now), body.replace('inbox', 'friends'))
    assert.equal(tampered.status, 400)
    const stale = await post(signWebhook(webhookSecret, body, now - 600))
    assert.equal(stale.status, 400)
    assert.equal((await stale.json()).error.code, 'stale_signature')
    const missing = await fetch(`${marquee.origin}/webhooks/tandem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    assert.equal(missing.status, 400)
    const ok = await post(signWebhook(webhookSecret, body, now))
    assert.equal(ok.status, 200)
    assert.deepEqual(await ok.json(), { id: 'evt-agreement-1', type: 'agreement.extended', duplicate: false })
    const again = await post(signWebhook(webhookSecret, body, now))
    assert.deepEqual(await again.json(), {
      id: 'evt-agreement-1',
      type: 'agreement.extended',
      duplicate: true,
    })
  })

  test('disconnect from Marquee revokes at Tandem and forgets the tokens', async () => {
    const eve = await person()
    await connect(eve)
    const res = await api(eve, '/api/tandem', { method: 'DELETE' })
    assert.equal(res.status, 204)
    assert.equal((await api(eve, '/api/tandem')).body.tandem.connected, false)
    const grants = await tandem.db
      .selectFrom('partner_grants')
      .select(['revoked_at'])
      .where('user_id', '=', eve.tandem.id)
      .execute()
    assert.ok(grants.length > 0 && grants.every((g) => g.revoked_at !== null), 'the grant ended at Tandem')
  })
})

describe('Marquee not registered at Tandem yet', () => {
  test('connecting sends the browser back with a reason; the webhook and the activity switch answer 409', async () => {
    const lone = await makeMarquee({
      tandem: { issuer: tandem.origin, clientId: undefined, webhookSecret: undefined },
    })
    try {
      const user = await lone.makeUser()
      const start = await lone.as(user, { method: 'GET', url: '/auth/tandem/start?returnTo=/settings' })
      assert.equal(start.statusCode, 302)
      assert.equal(start.headers.location, '/settings?tandem=error&reason=tandem_not_configured')
      // Not signed in to Marquee: to its login page first, which comes back here after.
      const anonymous = await lone.app.inject({ method: 'GET', url: '/auth/tandem/start?returnTo=/settings' })
      assert.equal(anonymous.statusCode, 302)
      assert.equal(
        anonymous.headers.location,
        `/login?next=${encodeURIComponent('/auth/tandem/start?returnTo=/settings')}`,
      )
      const on = await lone.as(user, {
        method: 'PUT',
        url: '/api/tandem/activity',
        payload: { enabled: true },
      })
      assert.equal(on.statusCode, 409)
      assert.equal(on.json().error.code, 'tandem_not_configured')
      const hook = await lone.app.inject({
        method: 'POST',
        url: '/webhooks/tandem',
        headers: { 'content-type': 'application/json', 'tandem-signature': 't=1,v1=00' },
        payload: '{}',
      })
      assert.equal(hook.statusCode, 409)
    } finally {
      await lone.close()
    }
  })
})

describe('watch activity on Tandem (story 7)', () => {
  let ana: Person
  let ben: Person
  const titleId = 'the-long-night'

  before(async () => {
    ana = await person()
    ben = await person()
    await befriend(ana, ben)
    await marquee.ctx.db
      .insertInto('titles')
      .values({
        id: titleId,
        name: 'The Long Night',
        year: 2024,
        runtime_minutes: 100,
        genres: ['drama'],
        synopsis: 'A night that does not end.',
      })
      .onConflict((oc) => oc.doNothing())
      .execute()
  })

  const play = async (p: Person, kind: 'watching' | 'finished' = 'watching') => {
    const userId = await marqueeUserId(p)
    for (const listener of marquee.ctx.watchListeners)
      await listener({ userId, titleId, kind, at: marquee.clock.now() })
  }
  const published = () =>
    tandem.db.selectFrom('activity_items').selectAll().where('user_id', '=', ana.tandem.id).execute()

  test('off by default; turning it on asks Tandem for activity.publish, then it is on', async () => {
    await connect(ana, undefined, '?scopes=openid%20profile%20offline_access%20recommendations.send')
    const status = await api(ana, '/api/tandem')
    assert.deepEqual(status.body.tandem.activity, {
      enabled: false,
      consentedAt: null,
      lapsesAt: null,
      lapsed: false,
    })
    await play(ana)
    assert.equal((await published()).length, 0, 'nothing is published while off')

    const on = await api(ana, '/api/tandem/activity', {
      method: 'PUT',
      body: JSON.stringify({ enabled: true, returnTo: '/settings' }),
    })
    assert.equal(on.status, 409)
    assert.equal(on.body.error.code, 'consent_required')
    const authorizeUrl = new URL(on.body.error.details.authorizeUrl)
    assert.equal(authorizeUrl.origin, tandem.origin)
    assert.ok(authorizeUrl.searchParams.get('scope')!.split(' ').includes('activity.publish'))
    const back = await finishAt(ana, authorizeUrl)
    assert.equal(back.pathname, '/settings')
    assert.equal(back.searchParams.get('tandem'), 'connected')

    const after = (await api(ana, '/api/tandem')).body.tandem
    assert.ok(after.scopes.includes('activity.publish'))
    assert.ok(after.scopes.includes('recommendations.send'), 'the earlier scopes are kept')
    assert.equal(after.activity.enabled, true)
    assert.equal(after.activity.consentedAt, marquee.clock.now().toISOString())
  })

  test('while on, starting and finishing a title publish to Tandem; friends see it', async () => {
    await play(ana, 'watching')
    await play(ana, 'finished')
    const items = await published()
    assert.equal(items.length, 2)
    const cookie = await tandemSession(ben)
    const res = await fetch(`${tandem.origin}/api/users/${ana.tandem.username}/activity`, {
      headers: { cookie },
    })
    assert.equal(res.status, 200)
    const body = JSON.stringify(await res.json())
    assert.ok(body.includes('The Long Night'))
    assert.ok(body.includes(`${marquee.origin}/posters/${titleId}.svg`))
    assert.ok(body.includes(`${marquee.origin}/titles/${titleId}`))
  })

  test('turned off, nothing more is published; on again needs no new authorization', async () => {
    const off = await api(ana, '/api/tandem/activity', {
      method: 'PUT',
      body: JSON.stringify({ enabled: false }),
    })
    assert.equal(off.status, 200)
    assert.equal(off.body.activity.enabled, false)
    const count = (await published()).length
    await play(ana)
    assert.equal((await published()).length, count)
    const on = await api(ana, '/api/tandem/activity', {
      method: 'PUT',
      body: JSON.stringify({ enabled: true }),
    })
    assert.equal(on.status, 200)
    assert.equal(on.body.activity.enabled, true)
    await play(ana)
    assert.equal((await published()).length, count + 1)
  })

  test('the consent lapses two years after it was given: off, and the user is asked again', async () => {
    const status = (await api(ana, '/api/tandem')).body.tandem.activity
    const lapsesAt = new Date(status.lapsesAt)
    assert.equal(lapsesAt.getTime() - new Date(status.consentedAt).getTime() > 729 * DAY_MS, true)
    marquee.clock.set(new Date(lapsesAt.getTime() + 1000))
    // The Marquee session lapsed too: sign in again.
    const login = await ana.browser.request(`${marquee.origin}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ana.marqueeUser),
    })
    assert.equal(login.status, 200)
    const lapsed = (await api(ana, '/api/tandem')).body.tandem.activity
    assert.equal(lapsed.enabled, false)
    assert.equal(lapsed.lapsed, true)
    const count = (await published()).length
    await play(ana)
    assert.equal((await published()).length, count, 'nothing published after the lapse')
    const again = await api(ana, '/api/tandem/activity', {
      method: 'PUT',
      body: JSON.stringify({ enabled: true }),
    })
    assert.equal(again.status, 200)
    assert.equal(again.body.activity.enabled, true)
    assert.equal(again.body.activity.consentedAt, marquee.clock.now().toISOString())
    await play(ana)
    assert.equal((await published()).length, count + 1)
  })
})
