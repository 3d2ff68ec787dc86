import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { runHousekeeping } from './housekeeping.ts'
import { makeMarquee, type TestMarquee } from './testing.ts'

let marquee: TestMarquee
before(async () => {
  marquee = await makeMarquee()
})
after(() => marquee.close())

const DAY_MS = 86_400_000

test('housekeeping purges expired sessions, old share keys, stale auth requests and handled webhook ids; keeps the rest', async () => {
  const { db, clock } = marquee
  const old = await marquee.makeUser()
  const at = (offsetMs: number) => new Date(clock.now().getTime() + offsetMs)
  const shareKey = (key: string, createdAt: Date) => ({
    user_id: old.id,
    key,
    request_hash: 'h',
    status: 201,
    response: JSON.stringify({ shares: [] }),
    created_at: createdAt,
  })
  const authRequest = (stateHash: string, expiresAt: Date) => ({
    state_hash: stateHash,
    user_id: old.id,
    verifier_enc: 'sealed',
    nonce: 'n',
    scope: 'openid',
    purpose: 'connect' as const,
    return_to: '/',
    created_at: clock.now(),
    expires_at: expiresAt,
  })
  const webhook = (id: string, receivedAt: Date, data: string | null) => ({
    id,
    type: data ? 'agreement.ended' : 'grant.revoked',
    received_at: receivedAt,
    data,
  })

  // Everything written now; then 31 days pass, beyond the 30-day session, and fresh rows are added.
  await db.insertInto('share_requests').values(shareKey('old', clock.now())).execute()
  await db
    .insertInto('tandem_auth_requests')
    .values(authRequest('old', at(600_000)))
    .execute()
  await db
    .insertInto('tandem_webhook_events')
    .values([webhook('old', clock.now(), null), webhook('agreement', clock.now(), '{"api":"inbox"}')])
    .execute()
  clock.advance(31 * DAY_MS)
  const fresh = await marquee.makeUser()
  await db.insertInto('share_requests').values(shareKey('fresh', clock.now())).execute()
  await db
    .insertInto('tandem_auth_requests')
    .values(authRequest('fresh', at(600_000)))
    .execute()
  await db
    .insertInto('tandem_webhook_events')
    .values(webhook('fresh', at(-3_600_000), null))
    .execute()

  const result = await runHousekeeping(db, clock)
  assert.equal(result.sessions, 1, "the first user's 30-day session expired")
  assert.equal(result.authRequests, 1)
  assert.equal(result.webhookEvents, 1)
  const keys = await db.selectFrom('share_requests').select('key').execute()
  assert.deepEqual(
    keys.map((r) => r.key),
    ['fresh'],
  )
  const states = await db.selectFrom('tandem_auth_requests').select('state_hash').execute()
  assert.deepEqual(
    states.map((r) => r.state_hash),
    ['fresh'],
  )
  const events = await db.selectFrom('tandem_webhook_events').select('id').orderBy('id').execute()
  assert.deepEqual(
    events.map((r) => r.id),
    ['agreement', 'fresh'],
    'agreement events stay for the operator; a handled id stays a day',
  )
  assert.equal((await marquee.as(old, { method: 'GET', url: '/api/me' })).statusCode, 401)
  assert.equal((await marquee.as(fresh, { method: 'GET', url: '/api/me' })).statusCode, 200)
})
