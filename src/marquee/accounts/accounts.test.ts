import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { makeMarquee, sessionCookieFrom, type TestMarquee } from '../testing.ts'

let marquee: TestMarquee
before(async () => {
  marquee = await makeMarquee()
})
after(() => marquee.close())

describe('Marquee accounts', () => {
  test('sign up, me, log out: the session ends', async () => {
    const res = await marquee.app.inject({
      method: 'POST',
      url: '/api/signup',
      payload: { username: 'ana_m', displayName: 'Ana Lima', password: 'correct horse' },
    })
    assert.equal(res.statusCode, 201)
    const cookie = sessionCookieFrom(res)
    const me = await marquee.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })
    assert.equal(me.statusCode, 200)
    assert.equal(me.json().user.username, 'ana_m')
    assert.equal(me.json().user.shareHistoryWithFriends, false)
    assert.equal(me.headers['cache-control'], 'no-store')
    const out = await marquee.app.inject({ method: 'POST', url: '/api/logout', headers: { cookie } })
    assert.equal(out.statusCode, 204)
    const again = await marquee.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } })
    assert.equal(again.statusCode, 401)
    assert.equal(again.json().error.code, 'unauthenticated')
  })

  test('a taken username is 409 whatever its case; a wrong password and an unknown user answer alike', async () => {
    const user = await marquee.makeUser({ username: 'ben_m' })
    const taken = await marquee.app.inject({
      method: 'POST',
      url: '/api/signup',
      payload: { username: 'BEN_M', displayName: 'Other', password: 'correct horse' },
    })
    assert.equal(taken.statusCode, 409)
    assert.equal(taken.json().error.code, 'username_taken')
    const wrong = await marquee.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { username: user.username, password: 'not the password' },
    })
    const unknown = await marquee.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { username: 'nobody_here', password: 'not the password' },
    })
    assert.equal(wrong.statusCode, 401)
    assert.deepEqual(wrong.json(), unknown.json())
  })

  test('a new session id at every login; PATCH /api/me changes settings and accepts an empty change', async () => {
    const user = await marquee.makeUser()
    const second = await marquee.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { username: user.username, password: user.password },
      headers: { cookie: user.cookie },
    })
    assert.notEqual(sessionCookieFrom(second), user.cookie)
    const old = await marquee.as(user, { method: 'GET', url: '/api/me' })
    assert.equal(old.statusCode, 401, 'the previous session ended at the new login')
    const fresh = { cookie: sessionCookieFrom(second) }
    const patched = await marquee.as(fresh, {
      method: 'PATCH',
      url: '/api/me',
      payload: { shareHistoryWithFriends: true },
    })
    assert.equal(patched.json().user.shareHistoryWithFriends, true)
    const empty = await marquee.as(fresh, { method: 'PATCH', url: '/api/me', payload: {} })
    assert.equal(empty.statusCode, 200)
    assert.equal(empty.json().user.shareHistoryWithFriends, true)
  })

  test('a state change from another site is refused', async () => {
    const user = await marquee.makeUser()
    const res = await marquee.as(user, {
      method: 'PATCH',
      url: '/api/me',
      payload: { displayName: 'Mallory' },
      headers: { origin: 'https://evil.example' },
    })
    assert.equal(res.statusCode, 403)
    assert.equal(res.json().error.code, 'cross_site_request')
  })
})
