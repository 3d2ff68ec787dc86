// Two real Tandem processes on one PostgreSQL: a message sent through one reaches every open tab of every
// member, whichever process holds the tab (the realtime hub LISTENs on the database, DESIGN §4).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createTestDatabase, type TestDatabase } from '../src/lib/testing/test-db.ts'
import type { TandemDatabase } from '../src/tandem/db.ts'
import { migrations } from '../src/tandem/migrations/index.ts'
import {
  type ApiUser,
  api,
  befriendOver,
  type EventSocket,
  openEvents,
  type ServerProcess,
  signUpOver,
  startTandemProcess,
  stopAll,
} from './support/processes.ts'

if (!process.env.TEST_DATABASE_URL) {
  test('two Tandem processes share realtime delivery through PostgreSQL', (t) => {
    t.skip('needs PostgreSQL: set TEST_DATABASE_URL')
  })
} else {
  describe('two Tandem processes on one PostgreSQL', () => {
    let database: TestDatabase<TandemDatabase>
    let one: ServerProcess
    let two: ServerProcess
    const servers: ServerProcess[] = []
    const sockets: EventSocket[] = []
    let ana: ApiUser
    let ben: ApiUser

    before(async () => {
      database = await createTestDatabase<TandemDatabase>('tandem', migrations)
      // The servers open their own pools; this handle is only needed again to drop the database.
      await database.close()
      const started = await Promise.allSettled([
        startTandemProcess(database.url!),
        startTandemProcess(database.url!),
      ])
      for (const s of started) if (s.status === 'fulfilled') servers.push(s.value)
      for (const s of started) if (s.status === 'rejected') throw s.reason
      ;[one, two] = servers as [ServerProcess, ServerProcess]
      assert.notEqual(one.url, two.url)
      ana = await signUpOver(one.url, 'ana', 'Ana')
      ben = await signUpOver(two.url, 'ben', 'Ben')
      await befriendOver(ana, one.url, ben, two.url)
    })

    after(async () => {
      for (const s of sockets) s.close()
      await stopAll(servers)
      await database?.drop()
    })

    const open = async (base: string, user: ApiUser) => {
      const socket = await openEvents(base, user)
      sockets.push(socket)
      return socket
    }

    test('a message sent through one process reaches every tab of every member on both', async () => {
      const benOnTwo = await open(two.url, ben)
      const benOnOne = await open(one.url, ben)
      const anaOnTwo = await open(two.url, ana)
      const anaOnOne = await open(one.url, ana)

      const opened = await api(one.url, ana, 'POST', '/api/threads', { usernames: ['ben'] })
      assert.equal(opened.status, 201, JSON.stringify(opened.body))
      const threadId = (opened.body as { thread: { id: string } }).thread.id
      const created = await benOnTwo.next((f) => f.type === 'thread.created', 'thread.created on server 2')
      assert.equal(created.threadId, threadId)

      const sent = await api(one.url, ana, 'POST', `/api/threads/${threadId}/messages`, {
        text: 'hello from one',
      })
      assert.equal(sent.status, 201, JSON.stringify(sent.body))
      const messageId = (sent.body as { message: { id: string } }).message.id
      const isIt = (id: string) => (f: { type: string; message?: { id: string } }) =>
        f.type === 'message.created' && f.message?.id === id
      for (const [socket, where] of [
        [benOnTwo, "Ben's tab on server 2"],
        [benOnOne, "Ben's second tab on server 1"],
        [anaOnTwo, "Ana's own tab on server 2"],
        [anaOnOne, "Ana's own tab on server 1"],
      ] as const) {
        const frame = await socket.next(isIt(messageId), `message.created in ${where}`)
        assert.equal(frame.message?.text, 'hello from one', where)
        assert.equal(frame.message?.threadId, threadId, where)
        assert.equal(frame.message?.sender.id, ana.id, where)
        assert.equal(frame.threadId, threadId, where)
        assert.equal(frame.to, undefined, `the recipient list stays on the server (${where})`)
      }

      const reply = await api(two.url, ben, 'POST', `/api/threads/${threadId}/messages`, {
        text: 'and back from two',
      })
      assert.equal(reply.status, 201, JSON.stringify(reply.body))
      const replyId = (reply.body as { message: { id: string } }).message.id
      for (const socket of [anaOnOne, anaOnTwo, benOnOne, benOnTwo]) {
        const frame = await socket.next(isIt(replyId), 'the reply')
        assert.equal(frame.message?.text, 'and back from two')
      }
    })

    test('a message too large for a NOTIFY payload still arrives, loaded by reference', async () => {
      const benOnTwo = await open(two.url, ben)
      const opened = await api(one.url, ana, 'POST', '/api/threads', { usernames: ['ben'] })
      assert.equal(opened.status, 200, 'the direct thread already exists')
      const threadId = (opened.body as { thread: { id: string } }).thread.id
      // 4000 characters of 3-byte UTF-8 is 12 kB: over PostgreSQL's 8000-byte NOTIFY limit.
      const text = '日'.repeat(4000)
      const sent = await api(one.url, ana, 'POST', `/api/threads/${threadId}/messages`, { text })
      assert.equal(sent.status, 201, JSON.stringify(sent.body).slice(0, 300))
      const messageId = (sent.body as { message: { id: string } }).message.id
      const frame = await benOnTwo.next(
        (f) => f.type === 'message.created' && f.message?.id === messageId,
        'the large message on server 2',
      )
      assert.equal(frame.message?.text, text)
    })

    test("another user's socket gets nothing from a thread it is not in", async () => {
      const cleo = await signUpOver(two.url, 'cleo', 'Cleo')
      const cleoOnTwo = await open(two.url, cleo)
      const opened = await api(one.url, ana, 'POST', '/api/threads', { usernames: ['ben'] })
      const threadId = (opened.body as { thread: { id: string } }).thread.id
      const sent = await api(one.url, ana, 'POST', `/api/threads/${threadId}/messages`, {
        text: 'not for cleo',
      })
      assert.equal(sent.status, 201)
      const messageId = (sent.body as { message: { id: string } }).message.id
      // Ben's tab on server 2 seeing the marker means server 2 has fanned it out; Cleo's tab is not a target,
      // and a ping round trip on her connection flushes anything written to it before.
      const benOnTwo = await open(two.url, ben)
      const marker = await api(one.url, ana, 'POST', `/api/threads/${threadId}/messages`, { text: 'marker' })
      const markerId = (marker.body as { message: { id: string } }).message.id
      await benOnTwo.next(
        (f) => f.type === 'message.created' && f.message?.id === markerId,
        'the marker on server 2',
      )
      await cleoOnTwo.sync()
      const leaked = cleoOnTwo
        .frames()
        .filter((f) => f.message?.id === messageId || f.message?.id === markerId)
      assert.deepEqual(leaked, [], 'a non-member received thread messages')
    })
  })
}
