import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { sql } from 'kysely'
import WebSocket from 'ws'
import { makeTandem, type TestTandem } from '../testing.ts'
import { eventPayloadSql, type RealtimeEvent, SEQ_PLACEHOLDER } from './events.ts'

let t: TestTandem
let base: string
before(async () => {
  t = await makeTandem()
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  const address = t.app.server.address()
  base = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
})
after(() => t.close())

interface Frame {
  type: string
  [key: string]: unknown
}

/** Opens a socket and collects its frames; `next(type)` resolves with the next frame of that type. */
async function connect(cookie: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${base}/ws`, { headers: { cookie, ...headers } })
  const frames: Frame[] = []
  const waiters: { type: string; resolve: (f: Frame) => void }[] = []
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame
    const i = waiters.findIndex((w) => w.type === frame.type)
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(frame)
    else frames.push(frame)
  })
  const next = (type: string) =>
    new Promise<Frame>((resolve, reject) => {
      const i = frames.findIndex((f) => f.type === type)
      if (i >= 0) return resolve(frames.splice(i, 1)[0]!)
      const timer = setTimeout(() => reject(new Error(`no ${type} frame within 5 s`)), 5000)
      waiters.push({
        type,
        resolve: (f) => {
          clearTimeout(timer)
          resolve(f)
        },
      })
    })
  await next('hello')
  return { ws, next, frames }
}

function rejected(cookie: string, headers: Record<string, string> = {}) {
  return new Promise<number>((resolve) => {
    const ws = new WebSocket(`${base}/ws`, { headers: { cookie, ...headers } })
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('open', () => resolve(101))
    ws.on('error', () => {})
  })
}

describe('realtime delivery', () => {
  test('a message reaches every open tab of every member, and no one else', async () => {
    const ana = await t.makeUser({ displayName: 'Ana' })
    const ben = await t.makeUser({ displayName: 'Ben' })
    const eve = await t.makeUser()
    await t.befriend(ana, ben)
    const thread = (
      await t.as(ana, { method: 'POST', url: '/api/threads', payload: { usernames: [ben.username] } })
    ).json().thread
    const benTab1 = await connect(ben.cookie)
    const benTab2 = await connect(await t.login(ben.username, ben.password))
    const anaTab = await connect(ana.cookie)
    const eveTab = await connect(eve.cookie)
    const res = await t.as(ana, {
      method: 'POST',
      url: `/api/threads/${thread.id}/messages`,
      payload: { text: 'live!' },
    })
    assert.equal(res.statusCode, 201)
    for (const tab of [benTab1, benTab2, anaTab]) {
      const frame = await tab.next('message.created')
      assert.equal(frame.threadId, thread.id)
      assert.deepEqual(frame.message, res.json().message)
      assert.equal(frame.to, undefined, 'the recipient list is not exposed')
    }
    await t.as(ben, { method: 'POST', url: `/api/threads/${thread.id}/read`, payload: {} })
    const read = await benTab2.next('thread.read')
    assert.deepEqual(read, { type: 'thread.read', threadId: thread.id, lastReadSeq: 1 })
    // Eve's socket got nothing about this thread.
    await new Promise((r) => setTimeout(r, 100))
    assert.deepEqual(
      eveTab.frames.filter((f) => f.type !== 'hello'),
      [],
    )
    for (const tab of [benTab1, benTab2, anaTab, eveTab]) tab.ws.close()
  })

  test('no session, or another site, cannot open a socket', async () => {
    const ana = await t.makeUser()
    assert.equal(await rejected('tandem_session=nope'), 401)
    assert.equal(await rejected(ana.cookie, { origin: 'https://evil.example' }), 403)
    assert.equal(await rejected(ana.cookie, { origin: base.replace('ws:', 'http:') }), 101)
  })

  test('a plain GET is 426; an upgrade elsewhere is 404; a frame over the size limit closes only that socket', async () => {
    const ana = await t.makeUser()
    const plain = await t.as(ana, { method: 'GET', url: '/ws' })
    assert.equal(plain.statusCode, 426)
    assert.equal(plain.json().error.code, 'upgrade_required')
    assert.equal(plain.headers.upgrade, 'websocket')
    const elsewhere = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base}/api/me`, { headers: { cookie: ana.cookie } })
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('error', () => {})
    })
    assert.equal(elsewhere, 404)

    const big = await connect(ana.cookie)
    const other = await connect(ana.cookie)
    const closed = new Promise<number>((resolve) => big.ws.on('close', (code) => resolve(code)))
    big.ws.send('x'.repeat(5000))
    assert.equal(await closed, 1009, 'message too big')
    other.ws.send('ping')
    assert.equal((await other.next('pong')).type, 'pong', 'the server and the other socket live on')
    other.ws.close()
  })

  test('open sockets show in /metrics', async () => {
    const ana = await t.makeUser()
    const tab = await connect(ana.cookie)
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body
    const open = Number(/^tandem_websocket_connections (\d+)/m.exec(metrics)?.[1])
    assert.ok(open >= 1)
    assert.match(metrics, /tandem_http_requests_total\{/)
    assert.match(metrics, /tandem_http_request_duration_seconds_bucket\{/)
    tab.ws.close()
  })
})

describe('events published by the statement that writes their message', () => {
  const event = (text: string): RealtimeEvent => ({
    type: 'message.created',
    to: ['u1'],
    threadId: 't1',
    messageId: 'm1',
    message: {
      id: 'm1',
      threadId: 't1',
      seq: SEQ_PLACEHOLDER,
      sender: { id: 'u1', username: 'ana', displayName: 'Ana "seq":-1' },
      kind: 'text',
      text,
      card: null,
      links: [],
      via: null,
      createdAt: new Date(0).toISOString(),
    },
  })
  const payload = async (e: RealtimeEvent) => {
    const { rows } = await sql<{ p: string }>`select ${eventPayloadSql(e, sql`40 + 2`)} as p`.execute(t.db)
    return JSON.parse(rows[0]!.p) as {
      message?: { seq: number; text: string; sender: { displayName: string } }
    }
  }

  test('carry the sequence number the statement took, and nothing else of the payload changes', async () => {
    const sent = await payload(event('a text with "seq":-1 in it'))
    assert.equal(sent.message?.seq, 42)
    assert.equal(sent.message?.text, 'a text with "seq":-1 in it')
    assert.equal(sent.message?.sender.displayName, 'Ana "seq":-1')
  })

  test('a message too large to travel inline travels by reference', async () => {
    const sent = await payload(event('x'.repeat(8000)))
    assert.equal(sent.message, undefined)
  })
})
