import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { makeTandem, type TestTandem } from '../testing.ts'

let t: TestTandem
before(async () => {
  t = await makeTandem()
})
after(() => t.close())

const post = (user: { cookie: string }, url: string, payload?: object) =>
  t.as(user, { method: 'POST', url, ...(payload ? { payload } : {}) })

describe('friends', () => {
  test('request by username, accept, list, unfriend', async () => {
    const ana = await t.makeUser({ displayName: 'Ana' })
    const ben = await t.makeUser({ displayName: 'Ben' })
    const sent = await post(ana, '/api/friends/requests', { username: ben.username })
    assert.equal(sent.statusCode, 201)
    const requestId = sent.json().request.id
    const incoming = await t.as(ben, { method: 'GET', url: '/api/friends/requests' })
    assert.deepEqual(
      incoming
        .json()
        .incoming.map((r: { id: string; user: { username: string } }) => [r.id, r.user.username]),
      [[requestId, ana.username]],
    )
    const outgoing = await t.as(ana, { method: 'GET', url: '/api/friends/requests' })
    assert.equal(outgoing.json().outgoing[0].user.username, ben.username)
    assert.equal((await post(ben, `/api/friends/requests/${requestId}/accept`)).statusCode, 200)
    const friends = await t.as(ana, { method: 'GET', url: '/api/friends' })
    assert.deepEqual(
      friends.json().friends.map((f: { username: string }) => f.username),
      [ben.username],
    )
    const again = await post(ana, '/api/friends/requests', { username: ben.username })
    assert.equal(again.statusCode, 409)
    assert.deepEqual(again.json(), { error: { code: 'already_friends', message: 'you are already friends' } })
    assert.equal((await t.as(ben, { method: 'DELETE', url: `/api/friends/${ana.id}` })).statusCode, 204)
    assert.deepEqual((await t.as(ana, { method: 'GET', url: '/api/friends' })).json(), { friends: [] })
  })

  test('asking someone who already asked you makes you friends', async () => {
    const a = await t.makeUser()
    const b = await t.makeUser()
    await post(a, '/api/friends/requests', { username: b.username })
    const res = await post(b, '/api/friends/requests', { username: a.username })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().request.status, 'accepted')
    assert.equal((await t.as(a, { method: 'GET', url: '/api/friends' })).json().friends.length, 1)
  })

  test('decline and withdraw; only the addressee may answer', async () => {
    const a = await t.makeUser()
    const b = await t.makeUser()
    const c = await t.makeUser()
    const id = (await post(a, '/api/friends/requests', { username: b.username })).json().request.id
    const stranger = await post(c, `/api/friends/requests/${id}/accept`)
    assert.equal(stranger.statusCode, 404)
    assert.deepEqual(stranger.json(), {
      error: { code: 'friend_request_not_found', message: 'friend request not found' },
    })
    const self = await post(a, `/api/friends/requests/${id}/accept`)
    assert.equal(self.statusCode, 404, 'the sender cannot accept their own request')
    assert.equal((await post(b, `/api/friends/requests/${id}/decline`)).statusCode, 200)
    assert.equal(
      (await post(b, `/api/friends/requests/${id}/accept`)).statusCode,
      404,
      'answered requests are closed',
    )
    const id2 = (await post(a, '/api/friends/requests', { username: c.username })).json().request.id
    assert.equal((await t.as(a, { method: 'DELETE', url: `/api/friends/requests/${id2}` })).statusCode, 204)
    assert.deepEqual((await t.as(c, { method: 'GET', url: '/api/friends/requests' })).json().incoming, [])
  })

  test('unknown users and yourself', async () => {
    const a = await t.makeUser()
    const unknown = await post(a, '/api/friends/requests', { username: 'no_such_person' })
    assert.equal(unknown.statusCode, 404)
    assert.deepEqual(unknown.json(), { error: { code: 'user_not_found', message: 'user not found' } })
    const self = await post(a, '/api/friends/requests', { username: a.username })
    assert.equal(self.statusCode, 403)
    assert.equal(self.json().error.code, 'friend_request_not_allowed')
  })

  test('blocking ends the friendship; the blocked user can neither request nor message', async () => {
    const a = await t.makeUser()
    const b = await t.makeUser()
    await t.befriend(a, b)
    const thread = (await post(b, '/api/threads', { usernames: [a.username] })).json().thread
    assert.equal((await post(a, '/api/blocks', { username: b.username })).statusCode, 201)
    assert.deepEqual((await t.as(a, { method: 'GET', url: '/api/friends' })).json(), { friends: [] })
    const request = await post(b, '/api/friends/requests', { username: a.username })
    assert.equal(request.statusCode, 404, 'looks like nobody: the block is not revealed')
    assert.deepEqual(request.json(), { error: { code: 'user_not_found', message: 'user not found' } })
    const message = await post(b, `/api/threads/${thread.id}/messages`, { text: 'hello?' })
    assert.equal(message.statusCode, 403)
    assert.deepEqual(message.json(), {
      error: { code: 'blocked', message: 'you cannot message this person' },
    })
    const mine = await post(a, `/api/threads/${thread.id}/messages`, { text: 'me neither' })
    assert.equal(mine.statusCode, 403, 'the blocker cannot message either while the block stands')
    const newThread = await post(b, '/api/threads', { usernames: [a.username] })
    assert.equal(newThread.statusCode, 403)
    assert.equal(newThread.json().error.code, 'not_friends')
    const blocks = (await t.as(a, { method: 'GET', url: '/api/blocks' })).json().blocks
    assert.deepEqual(
      blocks.map((x: { id: string }) => x.id),
      [b.id],
    )
    assert.equal((await t.as(a, { method: 'DELETE', url: `/api/blocks/${b.id}` })).statusCode, 204)
    assert.equal((await post(b, '/api/friends/requests', { username: a.username })).statusCode, 201)
  })

  test('a blocker asking the blocked is refused until unblocked', async () => {
    const a = await t.makeUser()
    const b = await t.makeUser()
    await post(a, '/api/blocks', { userId: b.id })
    const res = await post(a, '/api/friends/requests', { username: b.username })
    assert.equal(res.statusCode, 403)
    assert.equal(res.json().error.code, 'friend_request_not_allowed')
  })

  test('logged-out calls get 401', async () => {
    for (const [method, url] of [
      ['GET', '/api/friends'],
      ['POST', '/api/friends/requests'],
      ['GET', '/api/threads'],
      ['POST', '/api/blocks'],
    ] as const) {
      const res = await t.app.inject({ method, url, payload: method === 'POST' ? {} : undefined })
      assert.equal(res.statusCode, 401, `${method} ${url}`)
      assert.deepEqual(res.json(), { error: { code: 'unauthenticated', message: 'log in first' } })
    }
  })
})
