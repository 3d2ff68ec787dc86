import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { makeTandem, type TestTandem } from '../testing.ts'

let t: TestTandem
before(async () => {
  t = await makeTandem()
})
after(() => t.close())

type U = Awaited<ReturnType<TestTandem['makeUser']>>

async function friendsWithThread() {
  const ana = await t.makeUser({ displayName: 'Ana' })
  const ben = await t.makeUser({ displayName: 'Ben' })
  await t.befriend(ana, ben)
  const res = await t.as(ana, { method: 'POST', url: '/api/threads', payload: { usernames: [ben.username] } })
  return { ana, ben, thread: res.json().thread as { id: string }, created: res.statusCode }
}

const send = (user: U, threadId: string, payload: object, key?: string) =>
  t.as(user, {
    method: 'POST',
    url: `/api/threads/${threadId}/messages`,
    payload,
    ...(key ? { headers: { 'idempotency-key': key } } : {}),
  })

const inbox = async (user: U) => (await t.as(user, { method: 'GET', url: '/api/threads' })).json()

describe('threads and messages', () => {
  test('the one-to-one thread is found, not duplicated', async () => {
    const { ana, ben, thread, created } = await friendsWithThread()
    assert.equal(created, 201)
    const again = await t.as(ben, {
      method: 'POST',
      url: '/api/threads',
      payload: { usernames: [ana.username] },
    })
    assert.equal(again.statusCode, 200)
    assert.equal(again.json().thread.id, thread.id)
    assert.equal(again.json().thread.kind, 'direct')
  })

  test('only friends can be messaged first', async () => {
    const a = await t.makeUser()
    const b = await t.makeUser()
    const res = await t.as(a, { method: 'POST', url: '/api/threads', payload: { usernames: [b.username] } })
    assert.equal(res.statusCode, 403)
    assert.deepEqual(res.json(), {
      error: {
        code: 'not_friends',
        message: 'you can only start a conversation with friends',
        details: { username: b.username },
      },
    })
  })

  test('send, inbox with last message and unread count, mark read', async () => {
    const { ana, ben, thread } = await friendsWithThread()
    const first = await send(ana, thread.id, { text: 'hi Ben' })
    assert.equal(first.statusCode, 201)
    const message = first.json().message
    assert.equal(message.text, 'hi Ben')
    assert.equal(message.seq, 1)
    assert.deepEqual(message.sender, { id: ana.id, username: ana.username, displayName: 'Ana' })
    await send(ana, thread.id, { text: 'are you there?' })
    const benInbox = await inbox(ben)
    const entry = benInbox.threads.find((x: { id: string }) => x.id === thread.id)
    assert.equal(entry.unreadCount, 2)
    assert.equal(entry.lastMessage.text, 'are you there?')
    assert.equal(entry.title, 'Ana')
    const anaEntry = (await inbox(ana)).threads.find((x: { id: string }) => x.id === thread.id)
    assert.equal(anaEntry.unreadCount, 0, 'my own messages are not unread for me')
    const read = await t.as(ben, {
      method: 'POST',
      url: `/api/threads/${thread.id}/read`,
      payload: { seq: 1 },
    })
    assert.deepEqual(read.json(), { lastReadSeq: 1, unreadCount: 1 })
    await t.as(ben, { method: 'POST', url: `/api/threads/${thread.id}/read`, payload: {} })
    assert.equal((await inbox(ben)).threads.find((x: { id: string }) => x.id === thread.id).unreadCount, 0)
  })

  test('group threads and the inbox order by latest activity', async () => {
    const a = await t.makeUser()
    const b = await t.makeUser()
    const c = await t.makeUser()
    await t.befriend(a, b)
    await t.befriend(a, c)
    const group = await t.as(a, {
      method: 'POST',
      url: '/api/threads',
      payload: { usernames: [b.username, c.username], title: 'Film club' },
    })
    assert.equal(group.statusCode, 201)
    const g = group.json().thread
    assert.equal(g.kind, 'group')
    assert.equal(g.members.length, 3)
    const direct = (
      await t.as(a, { method: 'POST', url: '/api/threads', payload: { usernames: [b.username] } })
    ).json().thread
    t.clock.advance(1000)
    await send(a, direct.id, { text: 'first' })
    t.clock.advance(1000)
    await send(a, g.id, { text: 'to everyone' })
    const cInbox = await inbox(c)
    assert.deepEqual(
      cInbox.threads.map((x: { id: string }) => x.id),
      [g.id],
      'c sees only the group',
    )
    assert.equal((await inbox(a)).threads[0].id, g.id)
    t.clock.advance(1000)
    await send(b, direct.id, { text: 'newest' })
    assert.equal((await inbox(a)).threads[0].id, direct.id)
  })

  test('cursor pagination of messages and of the inbox', async () => {
    const { ana, thread } = await friendsWithThread()
    for (let i = 1; i <= 7; i++) await send(ana, thread.id, { text: `m${i}` })
    const seen: string[] = []
    let before: string | null = null
    do {
      const url: string = `/api/threads/${thread.id}/messages?limit=3${before ? `&before=${before}` : ''}`
      const page = (await t.as(ana, { method: 'GET', url })).json()
      seen.unshift(...page.messages.map((m: { text: string }) => m.text))
      before = page.nextCursor
    } while (before)
    assert.deepEqual(seen, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'])

    const lonely = await t.makeUser()
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const friend = await t.makeUser()
      await t.befriend(lonely, friend)
      t.clock.advance(1000)
      const th = (
        await t.as(lonely, { method: 'POST', url: '/api/threads', payload: { usernames: [friend.username] } })
      ).json().thread
      ids.unshift(th.id)
    }
    const listed: string[] = []
    let cursor: string | null = null
    do {
      const url: string = `/api/threads?limit=2${cursor ? `&before=${cursor}` : ''}`
      const page = (await t.as(lonely, { method: 'GET', url })).json()
      listed.push(...page.threads.map((x: { id: string }) => x.id))
      cursor = page.nextCursor
    } while (cursor)
    assert.deepEqual(listed, ids)
    const bad = await t.as(lonely, { method: 'GET', url: '/api/threads?before=garbage' })
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().error.code, 'invalid_cursor')
  })

  test('SECURITY row 41: a stranger reading or writing a thread gets 404', async () => {
    const { thread } = await friendsWithThread()
    const stranger = await t.makeUser()
    const notFound = { error: { code: 'thread_not_found', message: 'thread not found' } }
    for (const res of [
      await t.as(stranger, { method: 'GET', url: `/api/threads/${thread.id}/messages` }),
      await t.as(stranger, { method: 'GET', url: `/api/threads/${thread.id}` }),
      await send(stranger, thread.id, { text: 'let me in' }),
      await t.as(stranger, { method: 'POST', url: `/api/threads/${thread.id}/read`, payload: {} }),
      await t.as(stranger, { method: 'GET', url: `/api/threads/${randomUUID()}/messages` }),
    ]) {
      assert.equal(res.statusCode, 404)
      assert.deepEqual(res.json(), notFound)
    }
  })

  test('the same Idempotency-Key twice gives one message and the same response', async () => {
    const { ana, ben, thread } = await friendsWithThread()
    const key = randomUUID()
    const first = await send(ana, thread.id, { text: 'only once' }, key)
    const second = await send(ana, thread.id, { text: 'only once' }, key)
    assert.equal(first.statusCode, 201)
    assert.equal(second.statusCode, 201)
    assert.deepEqual(second.json(), first.json())
    assert.equal(second.headers['idempotent-replayed'], 'true')
    const page = (await t.as(ben, { method: 'GET', url: `/api/threads/${thread.id}/messages` })).json()
    assert.equal(page.messages.filter((m: { text: string }) => m.text === 'only once').length, 1)
    const reused = await send(ana, thread.id, { text: 'something else' }, key)
    assert.equal(reused.statusCode, 422)
    assert.deepEqual(reused.json(), {
      error: {
        code: 'idempotency_key_reused',
        message: 'this Idempotency-Key was already used for a different request',
      },
    })
    const bad = await send(ana, thread.id, { text: 'x' }, 'has spaces in it')
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().error.code, 'invalid_idempotency_key')
  })

  test('concurrent sends with one Idempotency-Key make one message', async () => {
    const { ana, ben, thread } = await friendsWithThread()
    const key = randomUUID()
    const results = await Promise.all([1, 2, 3, 4].map(() => send(ana, thread.id, { text: 'raced' }, key)))
    assert.deepEqual(
      results.map((r) => r.statusCode),
      [201, 201, 201, 201],
    )
    const ids = new Set(results.map((r) => r.json().message.id))
    assert.equal(ids.size, 1)
    const page = (await t.as(ben, { method: 'GET', url: `/api/threads/${thread.id}/messages` })).json()
    assert.equal(page.messages.length, 1)
  })

  test('title cards carry title, image, link and app name; links go through the shim', async () => {
    const { ana, thread } = await friendsWithThread()
    const res = await send(ana, thread.id, {
      text: 'watch this: https://films.example/arrival, and see https://example.org/review.',
      card: {
        title: 'Arrival',
        imageUrl: 'https://img.example/arrival.jpg',
        url: 'https://films.example/arrival',
      },
    })
    assert.equal(res.statusCode, 201)
    const m = res.json().message
    assert.equal(m.kind, 'title_card')
    assert.equal(m.card.title, 'Arrival')
    assert.equal(m.card.host, 'films.example')
    assert.match(m.card.href, /^http:\/\/localhost:3000\/l\/[A-Za-z0-9_-]{24}$/)
    assert.deepEqual(
      m.links.map((l: { url: string }) => l.url),
      ['https://films.example/arrival', 'https://example.org/review'],
    )
    for (const l of m.links) assert.match(l.href, /\/l\/[A-Za-z0-9_-]{24}$/)
    const path = new URL(m.links[1].href).pathname
    const click = await t.app.inject({ method: 'GET', url: path })
    assert.equal(click.statusCode, 302)
    assert.equal(click.headers.location, 'https://example.org/review')
  })

  test('SECURITY row 42: a javascript: card URL is refused at send time and nothing is written', async () => {
    const { ana, ben, thread } = await friendsWithThread()
    const res = await send(ana, thread.id, { text: 'x', card: { title: 'Evil', url: 'javascript:alert(1)' } })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error.code, 'validation_failed')
    assert.deepEqual(res.json().error.details, [
      { path: 'card.url', code: 'custom', message: 'must be an http or https URL' },
    ])
    const page = (await t.as(ben, { method: 'GET', url: `/api/threads/${thread.id}/messages` })).json()
    assert.deepEqual(page.messages, [])
  })

  test('empty and oversized messages are refused', async () => {
    const { ana, thread } = await friendsWithThread()
    assert.equal((await send(ana, thread.id, { text: '   ' })).statusCode, 400)
    assert.equal((await send(ana, thread.id, { text: 'x'.repeat(4001) })).statusCode, 400)
    assert.equal((await send(ana, thread.id, { text: 'ok', extra: 1 })).statusCode, 400)
  })
})
