import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { runHousekeeping } from './housekeeping.ts'
import { makeTandem, type TestTandem } from './testing.ts'

let t: TestTandem
before(async () => {
  t = await makeTandem()
})
after(() => t.close())

describe('operations', () => {
  test('/healthz answers when the database does', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { status: 'ok' })
  })

  test('every response carries a request id; a sane incoming one is kept', async () => {
    const given = await t.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'abc-123' },
    })
    assert.equal(given.headers['x-request-id'], 'abc-123')
    const junk = await t.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'bad id\u0001' },
    })
    assert.match(String(junk.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  })

  test('/openapi.json is OpenAPI 3.1 generated from the route schemas and covers every /api route', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json()
    assert.equal(doc.openapi, '3.1.0')
    for (const [path, method] of [
      ['/api/signup', 'post'],
      ['/api/login', 'post'],
      ['/api/logout', 'post'],
      ['/api/me', 'get'],
      ['/api/friends/requests', 'post'],
      ['/api/friends/requests/{id}/accept', 'post'],
      ['/api/friends', 'get'],
      ['/api/friends/{userId}', 'delete'],
      ['/api/threads', 'post'],
      ['/api/threads', 'get'],
      ['/api/threads/{id}/messages', 'get'],
      ['/api/threads/{id}/messages', 'post'],
      ['/api/threads/{id}/read', 'post'],
      ['/l/{id}', 'get'],
    ] as const) {
      assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`)
    }
    const send = doc.paths['/api/threads/{id}/messages'].post
    assert.equal(send.requestBody.content['application/json'].schema.properties.text.maxLength, 4000)
  })

  test('unknown routes and bad JSON get stable error codes', async () => {
    const missing = await t.app.inject({ method: 'GET', url: '/api/nothing-here' })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json().error.code, 'route_not_found')
    const user = await t.makeUser()
    const badJson = await t.as(user, {
      method: 'POST',
      url: '/api/friends/requests',
      headers: { 'content-type': 'application/json' },
      body: '{"username": ',
    })
    assert.equal(badJson.statusCode, 400)
    assert.equal(badJson.json().error.code, 'invalid_json')
  })
})

describe('housekeeping', () => {
  test('expired sessions and OAuth artefacts are purged; live ones stay', async () => {
    const user = await t.makeUser()
    const now = t.clock.now()
    const row = (idHash: string, expiresAt: Date) => ({
      model: 'AuthorizationCode',
      id_hash: idHash,
      payload: '{"sealed":"x"}',
      expires_at: expiresAt,
    })
    await t.db
      .insertInto('oidc_payloads')
      .values([row('expired', new Date(now.getTime() - 1000)), row('live', new Date(now.getTime() + 60_000))])
      .execute()
    t.clock.advance(31 * 86_400_000)
    await t.db.deleteFrom('oidc_payloads').where('id_hash', '=', 'live').execute()
    await t.db
      .insertInto('oidc_payloads')
      .values(row('live', new Date(t.clock.now().getTime() + 60_000)))
      .execute()
    const result = await runHousekeeping(t.db, t.clock)
    assert.ok(result.sessions >= 1, 'the 30-day session of the user expired')
    assert.equal(result.oauth, 1)
    const left = await t.db.selectFrom('oidc_payloads').select('id_hash').execute()
    assert.deepEqual(
      left.map((r) => r.id_hash),
      ['live'],
    )
    assert.equal((await t.as(user, { method: 'GET', url: '/api/me' })).statusCode, 401)
  })
})
