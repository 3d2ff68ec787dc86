import assert from 'node:assert/strict'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { decodeJwt, exportJWK, importJWK, type JWK, type JWTPayload, SignJWT, UnsecuredJWT } from 'jose'
import { sql } from 'kysely'
import * as oidc from 'openid-client'
import { ManualClock } from '../../lib/clock.ts'
import { createTestDatabase, type TestDatabase } from '../../lib/testing/test-db.ts'
import { buildTandemApp, type TandemApp } from '../app.ts'
import { testTandemConfig } from '../config.ts'
import type { Db, TandemDatabase } from '../db.ts'
import { migrations } from '../migrations/index.ts'
import { upsertPartnerGrant } from '../oauth/grants.repository.ts'
import { partnerResource } from '../oauth/scopes.ts'
import { loadServerSecrets } from '../oauth/server-secrets.ts'
import { appScopedId, recordAppSubject } from '../oauth/subjects.ts'
import {
  authorizeAsPartner,
  callPartnerApi,
  freePort,
  makeTestUser,
  partnerClient,
  redeemCode,
  registerTestPartner,
  type TestPartner,
} from '../oauth/testing.ts'
import { insertFriendship } from '../social/social.repository.ts'
import { UNGUARDED_ME_PATH } from './me.routes.ts'

// The Friends and Inbox APIs (DESIGN.md section 5, privacy rules 1-5; SECURITY.md rows 42, 46-50).

const ALL = 'openid recommendations.send friends.app friends.suggest activity.publish'
const LIMITS = { rateLimit: { max: 30, windowMs: 60_000 }, senderDailyCap: 6, recipientDailyCap: 3 }

let built: TandemApp
let db: Db
let clock: ManualClock
let origin: string
let salt: string
let signingKey: JWK
let drop: () => Promise<void>
let database: TestDatabase<TandemDatabase>
let partner: TestPartner
let config: oidc.Configuration

before(async () => {
  const port = await freePort()
  origin = `http://127.0.0.1:${port}`
  database = await createTestDatabase<TandemDatabase>('tandem', migrations)
  drop = () => database.drop()
  clock = new ManualClock(new Date())
  built = await buildTandemApp({
    config: testTandemConfig({
      publicOrigin: origin,
      loginRateLimit: { max: 1000, windowMs: 60_000 },
      clickFlushMs: 60_000,
    }),
    database,
    clock,
    partnerApiLimits: LIMITS,
  })
  await built.app.listen({ host: '127.0.0.1', port })
  db = database.db
  const secrets = await loadServerSecrets(db, built.ctx.secrets, clock.now())
  salt = secrets.pairwiseSalt
  signingKey = secrets.signingKeys[0] as JWK
  partner = await registerTestPartner(db, clock.now())
  config = await partnerClient(origin, partner)
})

after(async () => {
  await built?.app.close()
  await drop?.()
})

type User = Awaited<ReturnType<typeof makeTestUser>>

/** A user who went through consent for `scope`; returns the bearer header value. */
async function connect(scope: string, p = partner, c = config, user?: User) {
  const who = user ?? (await makeTestUser(db))
  const authorization = await authorizeAsPartner(origin, c, p, who, {
    scope,
    resource: partnerResource(origin),
  })
  const tokens = await redeemCode(c, authorization)
  return { user: who, bearer: `Bearer ${tokens.access_token}`, token: tokens.access_token }
}

/** A user who granted the partner (without a browser trip): an app friend once befriended. */
async function appUser(p = partner) {
  const user = await makeTestUser(db)
  await upsertPartnerGrant(db, {
    grantId: randomUUID(),
    userId: user.id,
    clientId: p.clientId,
    scopes: ['openid'],
    now: clock.now(),
  })
  const id = await recordAppSubject(db, clock, salt, p.clientId, user.id)
  return { ...user, appId: id }
}

const befriend = (a: { id: string }, b: { id: string }) => insertFriendship(db, a.id, b.id, clock.now())

const friends = (bearer: string) => callPartnerApi(origin, '/partner/v1/friends', bearer)

function recommend(bearer: string, recipients: string[], extra: Record<string, unknown> = {}, key?: string) {
  return callPartnerApi(origin, '/partner/v1/recommendations', bearer, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify({
      recipients,
      title: { id: 'tt-1', name: 'Night Train', url: 'https://marquee.example/t/1' },
      note: 'watch this one',
      context: { interface: 'web', surface: 'post_play', variant: 'control' },
      ...extra,
    }),
  })
}

const publish = (bearer: string) =>
  callPartnerApi(origin, '/partner/v1/activity', bearer, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: 'watching',
      title: { id: 'tt-2', name: 'Night Train', url: 'https://marquee.example/t/2' },
    }),
  })

type Sends = { sends: { id: string; recipient: string; status: string }[] }
const statuses = (body: unknown) => (body as Sends).sends.map((s) => s.status)

function assertError(
  res: { status: number; body: { error?: { code: string } } },
  status: number,
  code: string,
) {
  assert.equal(res.status, status, JSON.stringify(res.body))
  assert.equal(res.body.error?.code, code, JSON.stringify(res.body))
}

async function ledgerCount(userId: string) {
  const row = await db
    .selectFrom('ledger_entries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

async function login(user: { username: string; password: string }) {
  const res = await fetch(`${origin}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.username, password: user.password }),
  })
  assert.equal(res.status, 200)
  return res.headers.getSetCookie()[0]!.split(';')[0]!
}

const firstParty = (cookie: string, path: string, method = 'GET', body?: unknown) =>
  fetch(`${origin}${path}`, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })

describe('Friends API', () => {
  test('app friends by app-scoped id, suggestions as fresh single-use handles, only friends who allow it', async () => {
    const ana = await connect(ALL)
    const ben = await appUser()
    const cleo = await makeTestUser(db)
    const dan = await makeTestUser(db)
    const stranger = await appUser()
    await db
      .updateTable('users')
      .set({ allow_suggestions: true })
      .where('id', 'in', [cleo.id, stranger.id])
      .execute()
    await befriend(ana.user, ben)
    await befriend(ana.user, cleo)
    await befriend(ana.user, dan)

    const first = await friends(ana.bearer)
    assert.equal(first.status, 200)
    const body = first.body as {
      appFriends: { id: string; name: string; avatarUrl: null }[]
      suggestions: { handle: string; name: string; expiresAt: string }[]
    }
    assert.deepEqual(body.appFriends, [
      { id: appScopedId(salt, partner.clientId, ben.id), name: `Name of ${ben.username}`, avatarUrl: null },
    ])
    assert.equal(body.appFriends[0]!.id, ben.appId)
    assert.deepEqual(
      body.suggestions.map((s) => s.name),
      [`Name of ${cleo.username}`],
    )
    const handle = body.suggestions[0]!.handle
    assert.match(handle, /^h_[A-Za-z0-9_-]{43}$/)
    assert.equal(new Date(body.suggestions[0]!.expiresAt).getTime(), clock.now().getTime() + 24 * 3_600_000)

    const second = (await friends(ana.bearer)).body as typeof body
    assert.notEqual(second.suggestions[0]!.handle, handle, 'two calls give unlinkable handles')
    const stored = await db
      .selectFrom('suggestion_handles')
      .selectAll()
      .where('issued_for', '=', ana.user.id)
      .execute()
    assert.equal(stored.length, 2)
    assert.ok(
      stored.every((s) => s.handle_hash !== handle && s.handle_hash.length === 64),
      'only hashes are kept',
    )

    for (const text of [JSON.stringify(body), JSON.stringify(second)]) {
      for (const id of [ana.user.id, ben.id, cleo.id, dan.id, stranger.id]) assert.ok(!text.includes(id))
      assert.ok(!text.includes(`Name of ${dan.username}`), 'a friend with suggestions off never appears')
    }

    // A handle works once.
    const sent = await recommend(ana.bearer, [handle])
    assert.deepEqual(statuses(sent.body), ['sent'])
    const again = await recommend(ana.bearer, [handle])
    assert.deepEqual(statuses(again.body), ['not_delivered'])
  })

  test('each part needs its scope; neither scope is 403 insufficient_scope', async () => {
    const onlyApp = await connect('openid friends.app')
    const res = await friends(onlyApp.bearer)
    assert.equal(res.status, 200)
    assert.deepEqual(Object.keys(res.body), ['appFriends'])
    const none = await connect('openid recommendations.send')
    assertError(await friends(none.bearer), 403, 'insufficient_scope')
  })
})

describe('Inbox API', () => {
  test('sends become labelled title cards through the shim; statuses reveal nothing', async () => {
    const ana = await connect(ALL)
    const ben = await appUser()
    const cleo = await makeTestUser(db)
    const stranger = await appUser()
    const blocked = await appUser()
    await db.updateTable('users').set({ allow_suggestions: true }).where('id', '=', cleo.id).execute()
    await befriend(ana.user, ben)
    await befriend(ana.user, cleo)
    await befriend(ana.user, blocked)
    await db
      .insertInto('blocks')
      .values({ blocker_id: blocked.id, blocked_id: ana.user.id, created_at: clock.now() })
      .execute()
    const handle = ((await friends(ana.bearer)).body as { suggestions: { handle: string }[] }).suggestions[0]!
      .handle
    const expiredHandle = ((await friends(ana.bearer)).body as { suggestions: { handle: string }[] })
      .suggestions[0]!.handle
    await db
      .updateTable('suggestion_handles')
      .set({ expires_at: new Date(clock.now().getTime() - 1000) })
      .where('issued_for', '=', ana.user.id)
      .where('used_at', 'is', null)
      .where('created_at', '=', clock.now())
      .execute()
    // Re-issue the first handle's validity (both were issued at the same instant above).
    const { hashHandle } = await import('./friends.service.ts')
    await db
      .updateTable('suggestion_handles')
      .set({ expires_at: new Date(clock.now().getTime() + 3_600_000) })
      .where('handle_hash', '=', hashHandle(handle))
      .execute()

    const unknown = 'A'.repeat(43)
    const res = await recommend(ana.bearer, [
      ben.appId,
      handle,
      stranger.appId,
      unknown,
      expiredHandle,
      blocked.appId,
    ])
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.deepEqual(statuses(res.body), [
      'sent',
      'sent',
      'not_delivered',
      'not_delivered',
      'not_delivered',
      'not_delivered',
    ])
    assert.deepEqual(
      (res.body as Sends).sends.map((s) => s.recipient),
      [ben.appId, handle, stranger.appId, unknown, expiredHandle, blocked.appId],
    )

    const messages = await db
      .selectFrom('messages')
      .innerJoin('thread_members', 'thread_members.thread_id', 'messages.thread_id')
      .select([
        'thread_members.user_id',
        'messages.card',
        'messages.via_client_id',
        'messages.sender_id',
        'messages.body',
      ])
      .where('messages.sender_id', '=', ana.user.id)
      .where('thread_members.user_id', '!=', ana.user.id)
      .execute()
    assert.deepEqual(messages.map((m) => m.user_id).sort(), [ben.id, cleo.id].sort())
    for (const m of messages) {
      assert.equal(m.via_client_id, partner.clientId)
      assert.equal(m.card?.appName, 'Marquee')
      assert.equal(m.card?.url, 'https://marquee.example/t/1')
      assert.equal(m.body, 'watch this one')
      const link = await db
        .selectFrom('links')
        .selectAll()
        .where('id', '=', m.card!.linkId)
        .executeTakeFirstOrThrow()
      assert.equal(link.via_client_id, partner.clientId)
    }

    // Invalid ids and unsafe URLs are refused outright (SECURITY row 42), with no ledger entry.
    const before = await ledgerCount(ana.user.id)
    assertError(await recommend(ana.bearer, ['not-an-id']), 400, 'validation_failed')
    assertError(
      await recommend(ana.bearer, [ben.appId], {
        title: { id: 'x', name: 'X', url: 'javascript:alert(1)' },
      }),
      400,
      'validation_failed',
    )
    assertError(
      await recommend(ana.bearer, [ben.appId], {
        context: { interface: 'fridge', surface: 'search', variant: 'a' },
      }),
      400,
      'validation_failed',
    )
    assert.equal(await ledgerCount(ana.user.id), before)
  })

  test('N calls give N ledger entries for the caller and one per recipient who received a message', async () => {
    const ana = await connect(ALL)
    const ben = await appUser()
    const cleo = await appUser()
    await befriend(ana.user, ben)
    await befriend(ana.user, cleo)
    const [a0, b0, c0] = [
      await ledgerCount(ana.user.id),
      await ledgerCount(ben.id),
      await ledgerCount(cleo.id),
    ]
    await friends(ana.bearer)
    await recommend(ana.bearer, [ben.appId, cleo.appId])
    await recommend(ana.bearer, [ben.appId, 'B'.repeat(43)])
    await callPartnerApi(origin, '/partner/v1/me', ana.bearer)
    assert.equal(await ledgerCount(ana.user.id), a0 + 4)
    assert.equal(await ledgerCount(ben.id), b0 + 2)
    assert.equal(await ledgerCount(cleo.id), c0 + 1)
    const sent = await db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('user_id', '=', ana.user.id)
      .where('action', '=', 'recommendation.sent')
      .orderBy('seq')
      .execute()
    assert.deepEqual(
      sent.map((e) => e.object_count),
      [2, 1],
    )
  })

  test('mute, report and the admin view of recipient controls', async () => {
    const ana = await connect(ALL)
    const ben = await appUser()
    await befriend(ana.user, ben)
    const cookie = await login(ben)
    const mutes = async (c = cookie) => {
      const res = await firstParty(c, '/api/partners/mutes')
      return { status: res.status, body: (await res.json()) as { mutes: unknown[] } }
    }
    assert.deepEqual(await mutes(), { status: 200, body: { mutes: [] } })
    assert.equal((await firstParty(cookie, `/api/partners/${partner.clientId}/mute`, 'POST')).status, 204)
    // Muting twice keeps the first time; the list survives a reload (it is the server's).
    assert.equal((await firstParty(cookie, `/api/partners/${partner.clientId}/mute`, 'POST')).status, 204)
    assert.deepEqual(await mutes(), {
      status: 200,
      body: { mutes: [{ clientId: partner.clientId, name: 'Marquee', mutedAt: clock.now().toISOString() }] },
    })
    assert.deepEqual((await mutes(await login(ana.user))).body, { mutes: [] }, 'only my own mutes')
    const anonymous = await fetch(`${origin}/api/partners/mutes`)
    assert.equal(anonymous.status, 401)
    assert.deepEqual(statuses((await recommend(ana.bearer, [ben.appId])).body), ['not_delivered'])
    assert.equal((await firstParty(cookie, `/api/partners/${partner.clientId}/mute`, 'DELETE')).status, 204)
    assert.deepEqual((await mutes()).body, { mutes: [] })
    assert.deepEqual(statuses((await recommend(ana.bearer, [ben.appId])).body), ['sent'])
    assert.equal((await firstParty(cookie, '/api/partners/no-such-partner/mute', 'POST')).status, 404)

    const message = await db
      .selectFrom('messages')
      .select('id')
      .where('sender_id', '=', ana.user.id)
      .where('via_client_id', '=', partner.clientId)
      .executeTakeFirstOrThrow()
    const reported = await firstParty(cookie, `/api/messages/${message.id}/report`, 'POST', {
      reason: 'spam',
    })
    assert.equal(reported.status, 201)
    // Someone outside the thread, or an unknown message: 404 alike.
    const outsider = await makeTestUser(db)
    const outsiderCookie = await login(outsider)
    const res = await firstParty(outsiderCookie, `/api/messages/${message.id}/report`, 'POST', {
      reason: 'spam',
    })
    assert.equal(res.status, 404)
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'message_not_found')
    assert.equal(
      (await firstParty(cookie, `/api/messages/${randomUUID()}/report`, 'POST', { reason: 'x' })).status,
      404,
    )

    await firstParty(cookie, `/api/partners/${partner.clientId}/mute`, 'POST')
    const admin = await makeTestUser(db)
    await db.updateTable('users').set({ is_admin: true }).where('id', '=', admin.id).execute()
    const adminCookie = await login(admin)
    const controls = await firstParty(
      adminCookie,
      `/api/admin/partners/${partner.clientId}/recipient-controls`,
    )
    assert.deepEqual(await controls.json(), { muted: 1, reports: 1 })
    assert.equal(
      (await firstParty(cookie, `/api/admin/partners/${partner.clientId}/recipient-controls`)).status,
      403,
    )
  })

  test('a send lands in the existing one-to-one thread, or opens it; two handles for one recipient count twice toward their cap', async () => {
    const ana = await connect(ALL)
    const ben = await appUser()
    const cleo = await appUser()
    await befriend(ana.user, ben)
    await befriend(ana.user, cleo)
    const opened = await firstParty(await login(ana.user), '/api/threads', 'POST', {
      usernames: [ben.username],
    })
    const threadId = ((await opened.json()) as { thread: { id: string } }).thread.id
    assert.deepEqual(statuses((await recommend(ana.bearer, [ben.appId, cleo.appId])).body), ['sent', 'sent'])
    assert.deepEqual(statuses((await recommend(ana.bearer, [cleo.appId])).body), ['sent'])
    const rows = await db
      .selectFrom('partner_sends')
      .innerJoin('messages', 'messages.id', 'partner_sends.message_id')
      .select(['partner_sends.recipient_id', 'messages.thread_id'])
      .where('partner_sends.sender_id', '=', ana.user.id)
      .execute()
    assert.deepEqual(
      rows.filter((r) => r.recipient_id === ben.id).map((r) => r.thread_id),
      [threadId],
    )
    const cleoThreads = new Set(rows.filter((r) => r.recipient_id === cleo.id).map((r) => r.thread_id))
    assert.equal(cleoThreads.size, 1, 'the second send found the thread the first one opened')

    // Two handles can name the same person: Dan has 2 of his 3 today, so one of them is delivered.
    const dan = await makeTestUser(db)
    await db.updateTable('users').set({ allow_suggestions: true }).where('id', '=', dan.id).execute()
    await befriend(ana.user, dan)
    const handle = async () =>
      ((await friends(ana.bearer)).body as { suggestions: { handle: string }[] }).suggestions[0]!.handle
    for (let i = 0; i < 2; i++)
      assert.deepEqual(statuses((await recommend(ana.bearer, [await handle()])).body), ['sent'])
    const twice = await recommend(ana.bearer, [await handle(), await handle()])
    assert.equal(twice.status, 201, JSON.stringify(twice.body))
    assert.deepEqual(statuses(twice.body), ['sent', 'not_delivered'])
  })

  test('parallel calls of one sender, each with its own Idempotency-Key, never pass the daily cap', async () => {
    const s = await connect(ALL)
    const fs = await Promise.all(Array.from({ length: 9 }, () => appUser()))
    for (const f of fs) await befriend(s.user, f)
    const results = await Promise.all(fs.map((f, i) => recommend(s.bearer, [f.appId], {}, `parallel-${i}`)))
    const sent = results.filter((r) => r.status === 201 && statuses(r.body)[0] === 'sent').length
    assert.equal(sent, LIMITS.senderDailyCap, JSON.stringify(results.map((r) => r.status)))
    for (const r of results) {
      if (r.status !== 201) assertError(r, 429, 'daily_cap_reached')
    }
  })

  test("parallel calls of one sender to one friend never pass the friend's daily cap", async () => {
    const s = await connect(ALL)
    const f = await appUser()
    await befriend(s.user, f)
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => recommend(s.bearer, [f.appId], {}, `one-friend-${i}`)),
    )
    assert.deepEqual(
      results.map((r) => r.status),
      results.map(() => 201),
    )
    const sent = results.filter((r) => statuses(r.body)[0] === 'sent').length
    assert.equal(sent, LIMITS.recipientDailyCap)
    const rows = await db.selectFrom('partner_sends').select('id').where('recipient_id', '=', f.id).execute()
    assert.equal(rows.length, LIMITS.recipientDailyCap)
  })

  test("parallel calls of several senders to one friend never pass the friend's daily cap", async () => {
    const f = await appUser()
    const senders = await Promise.all(Array.from({ length: 8 }, () => connect(ALL)))
    for (const s of senders) await befriend(s.user, f)
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(
        senders.map((s, i) => recommend(s.bearer, [f.appId], {}, `many-senders-${round}-${i}`)),
      )
      for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body))
      const rows = await db
        .selectFrom('partner_sends')
        .select('id')
        .where('recipient_id', '=', f.id)
        .execute()
      assert.equal(rows.length, LIMITS.recipientDailyCap, `round ${round}`)
      const sent = results.filter((r) => statuses(r.body)[0] === 'sent').length
      assert.equal(sent, round === 0 ? LIMITS.recipientDailyCap : 0)
    }
  })

  test('a send that keeps meeting racing sends answers 503 try_again and leaves nothing behind', async () => {
    const s = await connect(ALL)
    const f = await appUser()
    await befriend(s.user, f)
    // Every attempt's write statement meets a conflict, as it would if other senders' sends to the
    // recipient kept committing while it read.
    await sql`create function test_conflict() returns trigger language plpgsql as $$
      begin perform partner_send_conflict(); return new; end $$`.execute(db)
    await sql`create trigger test_conflict before insert on partner_sends
      for each row execute function test_conflict()`.execute(db)
    try {
      const refused = await recommend(s.bearer, [f.appId], {}, 'raced')
      assertError(refused, 503, 'try_again')
    } finally {
      await sql`drop trigger test_conflict on partner_sends`.execute(db)
      await sql`drop function test_conflict()`.execute(db)
    }
    assert.equal(await ledgerCount(s.user.id), 0)
    assert.equal(await ledgerCount(f.id), 0)
    const sends = await db
      .selectFrom('partner_sends')
      .select('id')
      .where('sender_id', '=', s.user.id)
      .execute()
    assert.deepEqual(sends, [])
    // The key was not kept: the same call now sends.
    assert.deepEqual(statuses((await recommend(s.bearer, [f.appId], {}, 'raced')).body), ['sent'])
  })

  test('parallel repeats of one Idempotency-Key send once and all answer the first answer', async () => {
    const s = await connect(ALL)
    const f = await appUser()
    await befriend(s.user, f)
    const results = await Promise.all(
      Array.from({ length: 4 }, () => recommend(s.bearer, [f.appId], {}, 'same')),
    )
    for (const r of results) assert.deepEqual(r, results[0])
    assert.deepEqual(statuses(results[0]!.body), ['sent'])
    const rows = await db
      .selectFrom('partner_sends')
      .select('id')
      .where('sender_id', '=', s.user.id)
      .execute()
    assert.deepEqual(
      rows.map((r) => r.id),
      [(results[0]!.body as Sends).sends[0]!.id],
    )
    assert.equal(await ledgerCount(s.user.id), 1, 'one entry for the one send')
  })

  test('per-recipient and per-sender daily caps; rate limit per client, user and API', async () => {
    const [s1, s2] = [await connect(ALL), await connect(ALL)]
    const r = await appUser()
    await befriend(s1.user, r)
    await befriend(s2.user, r)
    assert.deepEqual(statuses((await recommend(s1.bearer, [r.appId])).body), ['sent'])
    assert.deepEqual(statuses((await recommend(s2.bearer, [r.appId])).body), ['sent'])
    assert.deepEqual(statuses((await recommend(s1.bearer, [r.appId])).body), ['sent'])
    // The recipient's cap (3 a day from any partner) is reached: the sender cannot tell why.
    assert.deepEqual(statuses((await recommend(s2.bearer, [r.appId])).body), ['not_delivered'])

    const s = await connect(ALL)
    const fs = [await appUser(), await appUser(), await appUser(), await appUser()]
    for (const f of fs) await befriend(s.user, f)
    const ids = fs.map((f) => f.appId)
    assert.deepEqual(statuses((await recommend(s.bearer, ids)).body), ['sent', 'sent', 'sent', 'sent'])
    // Two left of the sender's 6: the rest of the call is not delivered.
    assert.deepEqual(statuses((await recommend(s.bearer, ids)).body), [
      'sent',
      'sent',
      'not_delivered',
      'not_delivered',
    ])
    const before = await ledgerCount(s.user.id)
    const capped = await recommend(s.bearer, ids)
    assertError(capped, 429, 'daily_cap_reached')
    const raw = await fetch(`${origin}/partner/v1/recommendations`, {
      method: 'POST',
      headers: { authorization: s.bearer, 'content-type': 'application/json' },
      body: JSON.stringify({
        recipients: ids,
        title: { id: 't', name: 'T', url: 'https://marquee.example/t' },
        context: { interface: 'tv', surface: 'search', variant: 'a' },
      }),
    })
    assert.equal(raw.status, 429)
    const now = clock.now().getTime()
    const midnight = Math.ceil((now + 1) / 86_400_000) * 86_400_000
    assert.equal(Number(raw.headers.get('retry-after')), Math.max(1, Math.ceil((midnight - now) / 1000)))
    assert.equal(await ledgerCount(s.user.id), before, 'a refused call records nothing')

    const busy = await connect(ALL)
    for (let i = 0; i < LIMITS.rateLimit.max; i++) assert.equal((await friends(busy.bearer)).status, 200)
    const res = await fetch(`${origin}/partner/v1/friends`, { headers: { authorization: busy.bearer } })
    assert.equal(res.status, 429)
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'rate_limited')
    assert.ok(Number(res.headers.get('retry-after')) > 0)
    // Another API of the same user has its own budget.
    assert.equal((await recommend(busy.bearer, ['C'.repeat(43)])).status, 201)
  })
})

describe('Tandem counts', () => {
  test('N sends and M clicks give exact daily counts; an Idempotency-Key replay adds nothing', async () => {
    const p = await registerTestPartner(db, clock.now())
    const c = await partnerClient(origin, p)
    const s = await connect(ALL, p, c)
    const [f1, f2] = [await appUser(p), await appUser(p)]
    await befriend(s.user, f1)
    await befriend(s.user, f2)
    const first = await recommend(s.bearer, [f1.appId, f2.appId], {}, 'key-1')
    assert.equal(first.status, 201)
    const replay = await recommend(s.bearer, [f1.appId, f2.appId], {}, 'key-1')
    assert.deepEqual(replay, first)
    assertError(await recommend(s.bearer, [f1.appId], {}, 'key-1'), 422, 'idempotency_key_reused')
    const second = await recommend(s.bearer, [f1.appId], {
      context: { interface: 'tv', surface: 'search', variant: 'arm-b' },
    })
    assert.equal(second.status, 201)
    const sends = await db
      .selectFrom('partner_sends')
      .selectAll()
      .where('client_id', '=', p.clientId)
      .execute()
    assert.equal(sends.length, 3)
    const linkOf = (id: string) => sends.find((x) => x.id === id)!.link_id!
    const [a, b] = (first.body as Sends).sends
    const [cc] = (second.body as Sends).sends
    const click = async (sendId: string) => {
      const res = await fetch(`${origin}/l/${linkOf(sendId)}`, { redirect: 'manual' })
      assert.equal(res.status, 302)
    }
    await click(a!.id)
    await click(a!.id)
    await click(b!.id)
    await click(cc!.id)
    await built.ctx.clicks.flush()
    await click(a!.id)
    await built.ctx.clicks.flush()

    const admin = await makeTestUser(db)
    await db.updateTable('users').set({ is_admin: true }).where('id', '=', admin.id).execute()
    const day = clock.now().toISOString().slice(0, 10)
    const res = await firstParty(
      await login(admin),
      `/api/admin/partners/${p.clientId}/daily-counts?from=${day}&to=${day}`,
    )
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), {
      counts: [
        { day, interface: 'tv', surface: 'search', variant: 'arm-b', sends: 1, clicks: 1, uniqueClicks: 1 },
        {
          day,
          interface: 'web',
          surface: 'post_play',
          variant: 'control',
          sends: 2,
          clicks: 4,
          uniqueClicks: 2,
        },
      ],
    })
    const clicked = await db
      .selectFrom('partner_sends')
      .select('first_clicked_at')
      .where('client_id', '=', p.clientId)
      .execute()
    assert.ok(clicked.every((x) => x.first_clicked_at !== null))
  })
  test("parallel sends of many senders count exactly: the day's cell is the sum of its shards", async () => {
    const p = await registerTestPartner(db, clock.now())
    const c = await partnerClient(origin, p)
    const pairs = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const s = await connect(ALL, p, c)
        const f = await appUser(p)
        await befriend(s.user, f)
        return { s, f }
      }),
    )
    const context = { interface: 'mobile', surface: 'browse_row', variant: 'shards' }
    const answers = await Promise.all(
      pairs.flatMap(({ s, f }) => [1, 2].map(() => recommend(s.bearer, [f.appId], { context }))),
    )
    assert.deepEqual(
      answers.map((a) => [a.status, (a.body as Sends).sends[0]!.status]),
      answers.map(() => [201, 'sent']),
    )
    const rows = await db
      .selectFrom('partner_daily_counts')
      .select(['shard', 'sends'])
      .where('client_id', '=', p.clientId)
      .execute()
    // Eight senders spread over the shards (all eight on one shard is a 1 in 16^7 chance).
    assert.ok(rows.length > 1, 'the sends are spread over shards')
    const admin = await makeTestUser(db)
    await db.updateTable('users').set({ is_admin: true }).where('id', '=', admin.id).execute()
    const day = clock.now().toISOString().slice(0, 10)
    const res = await firstParty(await login(admin), `/api/admin/partners/${p.clientId}/daily-counts`)
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), {
      counts: [{ day, ...context, sends: 16, clicks: 0, uniqueClicks: 0 }],
    })
  })
})

describe('the partner-read benchmark twin', () => {
  test('GET /partner/v1/me has no unguarded twin unless the benchmark key is configured', async () => {
    assert.equal(built.app.hasRoute({ method: 'GET', url: UNGUARDED_ME_PATH }), false)
    const res = await callPartnerApi(origin, UNGUARDED_ME_PATH, 'Bearer x')
    assert.deepEqual(res, {
      status: 404,
      body: { error: { code: 'route_not_found', message: `no route for GET ${UNGUARDED_ME_PATH}` } },
    })
  })

  test('with the key configured, the twin runs the same handler for the token user, only for callers sending the key', async () => {
    const key = randomBytes(32).toString('base64url')
    const twin = await buildTandemApp({
      // The same secret key: the server secrets in the database are encrypted with it.
      config: testTandemConfig({
        publicOrigin: origin,
        secretKey: built.ctx.config.secretKey,
        benchUnguardedKey: key,
      }),
      database,
      clock,
    })
    try {
      const user = await appUser()
      const token = new UnsecuredJWT({ client_id: partner.clientId }).setSubject(user.appId).encode()
      const call = (headers: Record<string, string>) =>
        twin.app.inject({ method: 'GET', url: UNGUARDED_ME_PATH, headers })
      const refused: Record<string, string>[] = [
        { authorization: `Bearer ${token}` },
        { authorization: `Bearer ${token}`, 'x-bench-key': `${key}x` },
      ]
      for (const headers of refused) {
        const res = await call(headers)
        assert.equal(res.statusCode, 404)
        assert.deepEqual(res.json(), {
          error: { code: 'route_not_found', message: `no route for GET ${UNGUARDED_ME_PATH}` },
        })
      }
      const entries = () =>
        db
          .selectFrom('ledger_entries')
          .select(['client_id', 'action'])
          .where('user_id', '=', user.id)
          .execute()
      assert.deepEqual(await entries(), [])
      const res = await call({ authorization: `Bearer ${token}`, 'x-bench-key': key })
      assert.equal(res.statusCode, 200)
      assert.deepEqual(res.json(), { id: user.appId, name: `Name of ${user.username}` })
      assert.deepEqual(await entries(), [{ client_id: partner.clientId, action: 'profile.read' }])
    } finally {
      await twin.app.close()
    }
  })
})

describe('policy matrix and crawl', () => {
  test('SECURITY row 50: a full-scope crawl of /partner/v1 finds no message text, thread or global id', async () => {
    const ana = await connect(ALL)
    const ben = await appUser()
    const cleo = await makeTestUser(db)
    await db.updateTable('users').set({ allow_suggestions: true }).where('id', '=', cleo.id).execute()
    await befriend(ana.user, ben)
    await befriend(ana.user, cleo)
    const secret = `private words ${randomUUID()}`
    const thread = await firstParty(await login(ana.user), '/api/threads', 'POST', {
      usernames: [ben.username],
    })
    const threadId = ((await thread.json()) as { thread: { id: string } }).thread.id
    await firstParty(await login(ana.user), `/api/threads/${threadId}/messages`, 'POST', { text: secret })
    await recommend(ana.bearer, [ben.appId])

    const spec = (await (await fetch(`${origin}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>
    }
    const routes = Object.entries(spec.paths).filter(([path]) => path.startsWith('/partner/v1'))
    assert.ok(routes.length >= 3)
    const bodies: string[] = []
    for (const [path, methods] of routes) {
      for (const method of Object.keys(methods)) {
        const res =
          path === '/partner/v1/recommendations'
            ? await recommend(ana.bearer, [ben.appId])
            : await callPartnerApi(origin, path, ana.bearer, {
                method: method.toUpperCase(),
                ...(method === 'get' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }),
              })
        assert.ok(res.status < 500, `${method} ${path}: ${res.status}`)
        bodies.push(JSON.stringify(res.body))
      }
    }
    const all = bodies.join('\n')
    for (const needle of [ana.user.id, ben.id, cleo.id, threadId, secret, 'watch this one', 'threads']) {
      assert.ok(!all.includes(needle), `found ${needle}`)
    }
  })

  test('each partner route × no token, wrong audience, missing scope, revoked grant, lapsed agreement, DPoP mismatch, expired', async () => {
    const routes = [
      { name: 'friends', call: (bearer: string) => friends(bearer) },
      { name: 'recommendations', call: (bearer: string) => recommend(bearer, ['D'.repeat(43)]) },
      { name: 'activity', call: (bearer: string) => publish(bearer) },
    ]
    // Every /partner/v1 route that acts for a user with a scope is in this matrix.
    const spec = (await (await fetch(`${origin}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>
    }
    assert.deepEqual(
      Object.keys(spec.paths)
        .filter((p) =>
          ['/partner/v1/friends', '/partner/v1/recommendations', '/partner/v1/activity'].includes(p),
        )
        .sort(),
      ['/partner/v1/activity', '/partner/v1/friends', '/partner/v1/recommendations'],
    )
    const full = await connect(ALL)
    const noScope = await connect('openid profile')
    const revoked = await connect(ALL)
    const lapsedPartner = await registerTestPartner(db, clock.now())
    const lapsed = await connect(ALL, lapsedPartner, await partnerClient(origin, lapsedPartner))

    const key = await importJWK(signingKey, 'ES256')
    const claims = decodeJwt(full.token)
    const mint = (payload: JWTPayload) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: String(signingKey.kid) })
        .sign(key)
    assert.equal((await friends(`Bearer ${await mint(claims)}`)).status, 200, 'the minting is faithful')
    const wrongAudience = `Bearer ${await mint({ ...claims, aud: `${origin}/api` })}`

    await db
      .updateTable('partner_grants')
      .set({ revoked_at: clock.now() })
      .where('user_id', '=', revoked.user.id)
      .execute()
    await db
      .updateTable('agreements')
      .set({ valid_until: new Date(clock.now().getTime() - 1000) })
      .where('client_id', '=', lapsedPartner.clientId)
      .execute()
    await new Promise((resolve) => setTimeout(resolve, 1100)) // the guard caches grant and agreement state for 1 s

    const before = await ledgerCount(full.user.id)
    for (const route of routes) {
      assertError(await route.call(''), 401, 'invalid_token')
      assertError(await route.call('Bearer not-a-jwt'), 401, 'invalid_token')
      assertError(await route.call(wrongAudience), 401, 'invalid_token')
      assertError(await route.call(noScope.bearer), 403, 'insufficient_scope')
      assertError(await route.call(revoked.bearer), 401, 'invalid_token')
      assertError(await route.call(lapsed.bearer), 403, 'agreement_inactive')
    }
    assert.equal(await ledgerCount(full.user.id), before, 'refused calls record nothing')
    for (const route of routes) {
      assert.ok([200, 201].includes((await route.call(full.bearer)).status), route.name)
    }
    // Over the rate limit of (client, user, API): 429 rate_limited with Retry-After, nothing recorded.
    for (const route of routes) {
      const busy = await connect(ALL)
      for (let i = 0; i < LIMITS.rateLimit.max; i++) assert.ok((await route.call(busy.bearer)).status < 300)
      const recorded = await ledgerCount(busy.user.id)
      const limited = await route.call(busy.bearer)
      assertError(limited, 429, 'rate_limited')
      assert.equal(await ledgerCount(busy.user.id), recorded, route.name)
    }
    // Activity turned off by the user in Tandem: 403 activity_disabled, nothing stored.
    const off = await connect(ALL)
    await db
      .updateTable('users')
      .set({ partner_activity_enabled: false })
      .where('id', '=', off.user.id)
      .execute()
    assertError(await publish(off.bearer), 403, 'activity_disabled')
    assert.equal(await ledgerCount(off.user.id), 0)
    // DPoP mismatch: a key-bound token without its proof, or with a proof for another request.
    const bound = await registerTestPartner(db, clock.now(), { dpop: true, name: 'Bound' })
    const boundConfig = await partnerClient(origin, bound)
    const keyPair = await oidc.randomDPoPKeyPair('ES256')
    const DPoP = oidc.getDPoPHandle(boundConfig, keyPair)
    const boundUser = await makeTestUser(db)
    const boundAuth = await authorizeAsPartner(origin, boundConfig, bound, boundUser, {
      scope: ALL,
      resource: partnerResource(origin),
    })
    const boundToken = (await redeemCode(boundConfig, boundAuth, { DPoP })).access_token
    for (const route of routes) {
      assertError(await route.call(`Bearer ${boundToken}`), 401, 'invalid_token')
      assertError(await route.call(`DPoP ${boundToken}`), 401, 'invalid_token')
    }
    // The guard judges proof freshness by the injected clock; bring it to now.
    clock.set(new Date())
    const proved = await oidc.fetchProtectedResource(
      boundConfig,
      boundToken,
      new URL(`${origin}/partner/v1/friends`),
      'GET',
      undefined,
      undefined,
      { DPoP },
    )
    assert.equal(proved.status, 200)
    const misdirected = await callPartnerApi(origin, '/partner/v1/friends', `DPoP ${boundToken}`, {
      headers: {
        // A proof signed with the right key, for another URL.
        dpop: await new SignJWT({
          htm: 'GET',
          htu: `${origin}/partner/v1/me`,
          ath: createHash('sha256').update(boundToken).digest('base64url'),
          jti: randomUUID(),
        })
          .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: await exportJWK(keyPair.publicKey) })
          .setIssuedAt()
          .sign(keyPair.privateKey),
      },
    })
    assertError(misdirected, 401, 'invalid_token')

    // Expired: the access token lives 300 s in the test configuration (issued on the real clock).
    const start = clock.now()
    clock.set(new Date(Date.now() + 3_600_000))
    try {
      for (const route of routes) assertError(await route.call(full.bearer), 401, 'invalid_token')
    } finally {
      clock.set(start)
    }
  })
})

describe('fuzz', () => {
  test('SECURITY row 40: bad input to the partner routes gets a 4xx with a stable code, never a 500', async () => {
    const callers = [await connect(ALL), await connect(ALL), await connect(ALL), await connect(ALL)]
    const ben = await appUser()
    for (const c of callers) await befriend(c.user, ben)
    const handle = ((await friends(callers[0]!.bearer)).body as { suggestions: { handle: string }[] })
      .suggestions[0]?.handle
    const recipient = fc.oneof(
      fc.constant(ben.appId),
      fc.constant(handle ?? 'h_x'),
      fc.constant('E'.repeat(43)),
      fc.string({ maxLength: 60 }),
      fc.anything(),
    )
    const url = fc.oneof(
      fc.constant('https://marquee.example/t/9'),
      fc.constant('javascript:alert(1)'),
      fc.webUrl(),
      fc.string({ maxLength: 40 }),
    )
    const body = fc.oneof(
      fc.record(
        {
          recipients: fc.oneof(fc.array(recipient, { maxLength: 22 }), fc.anything()),
          title: fc.oneof(
            fc.record(
              {
                id: fc.string({ maxLength: 210 }),
                name: fc.string({ maxLength: 210 }),
                url,
                imageUrl: fc.option(url),
              },
              { requiredKeys: [] },
            ),
            fc.anything(),
          ),
          note: fc.oneof(fc.string({ maxLength: 520 }), fc.anything()),
          context: fc.record(
            {
              interface: fc.constantFrom('web', 'tv', 'mobile', 'fridge', ''),
              surface: fc.constantFrom('title_page', 'post_play', 'search', 'nowhere'),
              variant: fc.oneof(fc.constant('control'), fc.string({ maxLength: 45 })),
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    )
    let run = 0
    await fc.assert(
      fc.asyncProperty(body, fc.option(fc.string({ maxLength: 300 })), async (payload, key) => {
        const caller = callers[run++ % callers.length]!
        const res = await built.app.inject({
          method: 'POST',
          url: '/partner/v1/recommendations',
          headers: {
            authorization: caller.bearer,
            'content-type': 'application/json',
            ...(key ? { 'idempotency-key': key } : {}),
          },
          payload: JSON.stringify(payload ?? null),
        })
        assert.ok(res.statusCode < 500, `${res.statusCode} ${res.body}`)
        if (res.statusCode >= 400) assert.match(res.json().error.code, /^[a-z][a-z0-9_]*$/)
      }),
      { seed: 4_2026, numRuns: 100 },
    )
  })
})
