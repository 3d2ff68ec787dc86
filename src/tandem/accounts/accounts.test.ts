import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { makeTandem, sessionCookieFrom, type TestTandem } from '../testing.ts'

let t: TestTandem
before(async () => {
  t = await makeTandem()
})
after(() => t.close())

describe('sign up, log in, log out', () => {
  test('sign up creates the account and a session', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/signup',
      payload: { username: 'dora', displayName: 'Dora', password: 'long enough password' },
    })
    assert.equal(res.statusCode, 201)
    assert.equal(res.json().user.username, 'dora')
    assert.equal(res.json().user.password_hash, undefined)
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/me',
      headers: { cookie: sessionCookieFrom(res) },
    })
    assert.equal(me.statusCode, 200)
    assert.equal(me.json().user.displayName, 'Dora')
  })

  test('a taken username, in any case, is a 409', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/signup',
      payload: { username: 'DORA', displayName: 'Other', password: 'long enough password' },
    })
    assert.equal(res.statusCode, 409)
    assert.deepEqual(res.json(), { error: { code: 'username_taken', message: 'that username is taken' } })
  })

  test('bad sign-up input names the fields', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/signup',
      payload: { username: 'a b', displayName: '', password: 'short' },
    })
    assert.equal(res.statusCode, 400)
    const body = res.json()
    assert.equal(body.error.code, 'validation_failed')
    assert.deepEqual(body.error.details.map((d: { path: string }) => d.path).sort(), [
      'displayName',
      'password',
      'username',
    ])
  })

  test('SECURITY row 37: passwords are argon2id and a wrong username answers like a wrong password', async () => {
    const user = await t.makeUser({ password: 'the right password' })
    const row = await t.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow()
    assert.match(row.password_hash, /^\$argon2id\$/)
    const wrongPassword = await t.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { username: user.username, password: 'not the password' },
    })
    const wrongUser = await t.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { username: 'nobody_here', password: 'not the password' },
    })
    assert.equal(wrongPassword.statusCode, 401)
    assert.equal(wrongUser.statusCode, wrongPassword.statusCode)
    assert.equal(wrongUser.body, wrongPassword.body)
    assert.deepEqual(wrongUser.json(), {
      error: { code: 'invalid_credentials', message: 'username or password is incorrect' },
    })
  })

  test('SECURITY row 38: HttpOnly SameSite=Lax cookie, rotated at login, dead after logout', async () => {
    const user = await t.makeUser()
    const first = user.cookie
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { username: user.username, password: user.password },
      headers: { cookie: first },
    })
    const set = res.cookies.find((c) => c.name === 'tandem_session')!
    assert.equal(set.httpOnly, true)
    assert.equal(set.sameSite, 'Lax')
    assert.equal(set.secure, true, 'Secure outside development')
    const second = `tandem_session=${set.value}`
    assert.notEqual(second, first, 'a new session id at login')
    assert.equal(
      (await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: first } })).statusCode,
      401,
    )
    assert.equal(
      (await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: second } })).statusCode,
      200,
    )
    const out = await t.app.inject({ method: 'POST', url: '/api/logout', headers: { cookie: second } })
    assert.equal(out.statusCode, 204)
    const after = await t.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: second } })
    assert.equal(after.statusCode, 401)
    assert.deepEqual(after.json(), { error: { code: 'unauthenticated', message: 'log in first' } })
  })

  test('session cookie is not Secure in development', async () => {
    const dev = await makeTandem({ env: 'development' })
    try {
      const res = await dev.app.inject({
        method: 'POST',
        url: '/api/signup',
        payload: { username: 'devuser', displayName: 'Dev', password: 'long enough password' },
      })
      assert.equal(res.cookies.find((c) => c.name === 'tandem_session')!.secure, undefined)
    } finally {
      await dev.close()
    }
  })

  test('SECURITY row 39: a state change from another site is refused', async () => {
    const user = await t.makeUser()
    const res = await t.as(user, {
      method: 'POST',
      url: '/api/friends/requests',
      payload: { username: 'dora' },
      headers: { origin: 'https://evil.example' },
    })
    assert.equal(res.statusCode, 403)
    assert.deepEqual(res.json(), {
      error: { code: 'cross_site_request', message: 'requests from other sites are refused' },
    })
    const fetchMeta = await t.as(user, {
      method: 'POST',
      url: '/api/friends/requests',
      payload: { username: 'dora' },
      headers: { 'sec-fetch-site': 'cross-site' },
    })
    assert.equal(fetchMeta.statusCode, 403)
    const nullOrigin = await t.as(user, {
      method: 'POST',
      url: '/api/friends/requests',
      payload: { username: 'dora' },
      headers: { origin: 'null' },
    })
    assert.equal(nullOrigin.statusCode, 403, 'an opaque origin alone is not trusted')
    const sameOrigin = await t.as(user, {
      method: 'POST',
      url: '/api/friends/requests',
      payload: { username: 'dora' },
      headers: { origin: 'http://localhost:3000' },
    })
    assert.equal(sameOrigin.statusCode, 201)
    const noReferrerForm = await t.as(user, {
      method: 'POST',
      url: '/api/friends/requests',
      payload: { username: 'dora' },
      headers: { origin: 'null', 'sec-fetch-site': 'same-origin' },
    })
    assert.equal(noReferrerForm.statusCode, 200, 'a same-origin form on a no-referrer page is ours')
  })

  test('login attempts are rate-limited per address and username', async () => {
    const user = await t.makeUser() // one successful login already counts against the limit of 10
    let last = 0
    for (let i = 0; i < 10; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { username: user.username, password: 'wrong password' },
      })
      last = res.statusCode
      if (i < 9) assert.equal(res.statusCode, 401)
    }
    assert.equal(last, 429)
    const other = await t.makeUser()
    assert.ok(other.cookie, 'another username from the same address can still log in')
  })

  test('settings: suggestions are off by default and can be turned on', async () => {
    const user = await t.makeUser()
    const me = await t.as(user, { method: 'GET', url: '/api/me' })
    assert.equal(me.json().user.allowSuggestions, false)
    const res = await t.as(user, { method: 'PATCH', url: '/api/me', payload: { allowSuggestions: true } })
    assert.equal(res.json().user.allowSuggestions, true)
  })
})
