import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type * as oidc from 'openid-client'
import {
  authorizeAsPartner,
  callPartnerApi,
  type ListeningTandem,
  makeTestUser,
  partnerClient,
  redeemCode,
  registerTestPartner,
  startListeningTandem,
  type TestPartner,
} from '../oauth/testing.ts'
import { insertFriendship } from '../social/social.repository.ts'
import { ACTIVITY_KEEP } from './activity.service.ts'

let t: ListeningTandem
let partner: TestPartner
let config: oidc.Configuration

before(async () => {
  t = await startListeningTandem({
    loginRateLimit: { max: 1000, windowMs: 60_000 },
    oauth: { accessTokenTtlSeconds: 3600, refreshTokenIdleDays: 30 },
  })
  partner = await registerTestPartner(t.db, t.clock.now(), { name: 'Marquee <Films>' })
  config = await partnerClient(t.origin, partner)
})
after(async () => {
  await t?.close()
})

type TestUser = Awaited<ReturnType<typeof makeTestUser>> & { cookie: string }

async function login(user: Awaited<ReturnType<typeof makeTestUser>>): Promise<TestUser> {
  const res = await fetch(`${t.origin}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.username, password: user.password }),
  })
  assert.equal(res.status, 200)
  return { ...user, cookie: res.headers.getSetCookie()[0]!.split(';')[0]! }
}

const newUser = async () => login(await makeTestUser(t.db))

/** Connects `user` to the partner with activity.publish and returns the access token. */
async function connect(user: TestUser, p = partner, c = config): Promise<string> {
  const authorization = await authorizeAsPartner(t.origin, c, p, user, {
    scope: 'openid activity.publish',
    resource: t.resource,
  })
  return (await redeemCode(c, authorization)).access_token
}

const title = (n: number | string = 1) => ({
  id: `film-${n}`,
  name: `Film ${n}`,
  imageUrl: `https://img.example/${n}.jpg`,
  url: `https://marquee.example/films/${n}`,
})

const publish = (token: string, body: unknown) =>
  callPartnerApi(t.origin, '/partner/v1/activity', `Bearer ${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

async function api(user: TestUser, path: string, init: RequestInit = {}) {
  const res = await fetch(`${t.origin}${path}`, {
    ...init,
    headers: {
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
      cookie: user.cookie,
    },
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

const activityOf = (viewer: TestUser, owner: TestUser) => api(viewer, `/api/users/${owner.username}/activity`)

async function ledgerCount(userId: string): Promise<number> {
  const row = await t.db
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('action', '=', 'activity.published')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

describe('activity API', () => {
  test('a published item appears on a friend’s view, labelled with the partner; strangers get 404', async () => {
    const ana = await newUser()
    const ben = await newUser()
    const eve = await newUser()
    await insertFriendship(t.db, ana.id, ben.id, t.clock.now())
    const token = await connect(ana)

    const res = await publish(token, { title: title('dune'), kind: 'watching' })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(typeof res.body.id, 'string')

    const seen = await activityOf(ben, ana)
    assert.equal(seen.status, 200)
    assert.equal(seen.body.items.length, 1)
    const [item] = seen.body.items
    assert.equal(item.id, res.body.id)
    assert.equal(item.kind, 'watching')
    assert.deepEqual(item.title, title('dune'))
    assert.deepEqual(item.partner, { clientId: partner.clientId, name: 'Marquee <Films>' })
    assert.equal(typeof item.createdAt, 'string')

    assert.deepEqual((await activityOf(ana, ana)).body.items.length, 1)
    assert.deepEqual(await activityOf(eve, ana), {
      status: 404,
      body: { error: { code: 'user_not_found', message: 'user not found' } },
    })
    assert.equal((await api(eve, '/api/users/no_such_user/activity')).status, 404)
    assert.equal(await ledgerCount(ana.id), 1)
  })

  test('bad input is refused with validation_failed and stores nothing', async () => {
    const ana = await newUser()
    const token = await connect(ana)
    const bad = [
      {},
      { title: title(), kind: 'paused' },
      { title: { ...title(), url: 'javascript:alert(1)' }, kind: 'watching' },
      { title: { ...title(), imageUrl: 'data:image/png;base64,AAAA' }, kind: 'watching' },
      { title: { ...title(), name: 'x'.repeat(201) }, kind: 'watching' },
      { title: { ...title(), name: 'bell\u0007' }, kind: 'watching' },
      { title: { ...title(), extra: 1 }, kind: 'watching' },
    ]
    for (const body of bad) {
      const res = await publish(token, body)
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.equal(res.body.error?.code, 'validation_failed')
    }
    const { imageUrl: _, ...noImage } = title(2)
    assert.equal((await publish(token, { title: noImage, kind: 'finished' })).status, 201)
    const items = (await activityOf(ana, ana)).body.items
    assert.equal(items.length, 1)
    assert.equal(items[0].title.imageUrl, null)
    assert.equal(await ledgerCount(ana.id), 1)
  })

  test('a token without activity.publish is refused with insufficient_scope', async () => {
    const ana = await newUser()
    const authorization = await authorizeAsPartner(t.origin, config, partner, ana, {
      scope: 'openid profile',
      resource: t.resource,
    })
    const { access_token } = await redeemCode(config, authorization)
    const res = await publish(access_token, { title: title(), kind: 'watching' })
    assert.equal(res.status, 403)
    assert.equal(res.body.error?.code, 'insufficient_scope')
    assert.equal(await ledgerCount(ana.id), 0)
  })

  test('the owner deletes an item and it disappears for everyone; others cannot delete it', async () => {
    const ana = await newUser()
    const ben = await newUser()
    await insertFriendship(t.db, ana.id, ben.id, t.clock.now())
    const token = await connect(ana)
    const kept = (await publish(token, { title: title('a'), kind: 'finished' })).body.id as string
    t.clock.advance(1)
    const gone = (await publish(token, { title: title('b'), kind: 'watching' })).body.id as string

    const notFound = { error: { code: 'activity_not_found', message: 'activity not found' } }
    assert.deepEqual(await api(ben, `/api/activity/${gone}`, { method: 'DELETE' }), {
      status: 404,
      body: notFound,
    })
    assert.equal((await api(ana, '/api/activity/not-a-uuid', { method: 'DELETE' })).status, 404)
    assert.equal((await api(ana, `/api/activity/${gone}`, { method: 'DELETE' })).status, 204)
    assert.deepEqual(await api(ana, `/api/activity/${gone}`, { method: 'DELETE' }), {
      status: 404,
      body: notFound,
    })
    for (const viewer of [ana, ben]) {
      const ids = (await activityOf(viewer, ana)).body.items.map((i: { id: string }) => i.id)
      assert.deepEqual(ids, [kept])
    }
  })

  test('items expire after 14 days (injected clock)', async () => {
    const ana = await newUser()
    const ben = await newUser()
    await insertFriendship(t.db, ana.id, ben.id, t.clock.now())
    const token = await connect(ana)
    assert.equal((await publish(token, { title: title(), kind: 'watching' })).status, 201)
    t.clock.advance(14 * 86_400_000 - 1000)
    assert.equal((await activityOf(ben, ana)).body.items.length, 1)
    t.clock.advance(1000)
    assert.deepEqual((await activityOf(ben, ana)).body, { items: [] })
    assert.deepEqual((await activityOf(ana, ana)).body, { items: [] })
    t.clock.set(new Date())
  })

  test('with the setting off, publishing is refused with activity_disabled and existing items are hidden', async () => {
    const ana = await newUser()
    const ben = await newUser()
    await insertFriendship(t.db, ana.id, ben.id, t.clock.now())
    const token = await connect(ana)
    assert.equal((await publish(token, { title: title(1), kind: 'watching' })).status, 201)

    const off = await api(ana, '/api/me', {
      method: 'PATCH',
      body: JSON.stringify({ partnerActivityEnabled: false }),
    })
    assert.equal(off.status, 200)
    assert.equal(off.body.user.partnerActivityEnabled, false)
    const refused = await publish(token, { title: title(2), kind: 'watching' })
    assert.equal(refused.status, 403)
    assert.deepEqual(refused.body, {
      error: { code: 'activity_disabled', message: 'the user has turned off partner activity in Tandem' },
    })
    assert.deepEqual((await activityOf(ben, ana)).body, { items: [] })
    assert.deepEqual((await activityOf(ana, ana)).body, { items: [] })
    const stored = await t.db
      .selectFrom('activity_items')
      .select('id')
      .where('user_id', '=', ana.id)
      .execute()
    assert.equal(stored.length, 1)
    assert.equal(await ledgerCount(ana.id), 1)

    const on = await api(ana, '/api/me', {
      method: 'PATCH',
      body: JSON.stringify({ partnerActivityEnabled: true }),
    })
    assert.equal(on.body.user.partnerActivityEnabled, true)
    assert.equal((await api(ana, '/api/me')).body.user.partnerActivityEnabled, true)
    assert.equal((await activityOf(ben, ana)).body.items.length, 1)
  })

  test(`only the latest ${ACTIVITY_KEEP} items per user are kept; each publish is one ledger entry`, async () => {
    const ana = await newUser()
    const token = await connect(ana)
    const ids: string[] = []
    for (let i = 0; i < ACTIVITY_KEEP + 3; i++) {
      const res = await publish(token, { title: title(i), kind: i % 2 ? 'finished' : 'watching' })
      assert.equal(res.status, 201)
      ids.push(res.body.id as string)
      t.clock.advance(1)
    }
    const items = (await activityOf(ana, ana)).body.items as Array<{ id: string }>
    assert.deepEqual(
      items.map((i) => i.id),
      ids.slice(-ACTIVITY_KEEP).reverse(),
    )
    const stored = await t.db
      .selectFrom('activity_items')
      .select('id')
      .where('user_id', '=', ana.id)
      .execute()
    assert.equal(stored.length, ACTIVITY_KEEP)
    assert.equal(await ledgerCount(ana.id), ACTIVITY_KEEP + 3)
  })

  test('policy: blocked ex-friend gets 404; revoked grant 401 and lapsed agreement 403 store nothing', async () => {
    const ana = await newUser()
    const ben = await newUser()
    await insertFriendship(t.db, ana.id, ben.id, t.clock.now())
    const token = await connect(ana)
    assert.equal((await publish(token, { title: title(), kind: 'watching' })).status, 201)
    const blocked = await api(ana, '/api/blocks', {
      method: 'POST',
      body: JSON.stringify({ username: ben.username }),
    })
    assert.equal(blocked.status, 201)
    assert.equal((await activityOf(ben, ana)).status, 404)

    const lapsing = await registerTestPartner(t.db, t.clock.now(), { name: 'Lapsing' })
    const lapsingConfig = await partnerClient(t.origin, lapsing)
    const lapsingToken = await connect(ana, lapsing, lapsingConfig)
    await t.db
      .updateTable('agreements')
      .set({ valid_until: new Date(t.clock.now().getTime() - 1000) })
      .where('client_id', '=', lapsing.clientId)
      .execute()
    // The guard caches agreement state for at most one second.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const lapsed = await publish(lapsingToken, { title: title(), kind: 'watching' })
    assert.equal(lapsed.status, 403)
    assert.equal(lapsed.body.error?.code, 'agreement_inactive')

    const revoked = await api(ana, `/api/connected-apps/${partner.clientId}`, { method: 'DELETE' })
    assert.equal(revoked.status, 200)
    const refused = await publish(token, { title: title(), kind: 'watching' })
    assert.equal(refused.status, 401)
    assert.equal(refused.body.error?.code, 'invalid_token')

    const stored = await t.db
      .selectFrom('activity_items')
      .select('id')
      .where('user_id', '=', ana.id)
      .execute()
    assert.equal(stored.length, 1)
    assert.equal(await ledgerCount(ana.id), 1)
  })

  test('items from two partners are each labelled with their own partner', async () => {
    const other = await registerTestPartner(t.db, t.clock.now(), { name: 'Cinema Club' })
    const otherConfig = await partnerClient(t.origin, other)
    const ana = await newUser()
    await publish(await connect(ana), { title: title('x'), kind: 'watching' })
    t.clock.advance(1)
    await publish(await connect(ana, other, otherConfig), { title: title('y'), kind: 'finished' })
    const items = (await activityOf(ana, ana)).body.items as Array<{ partner: { name: string } }>
    assert.deepEqual(
      items.map((i) => i.partner.name),
      ['Cinema Club', 'Marquee <Films>'],
    )
  })
})
