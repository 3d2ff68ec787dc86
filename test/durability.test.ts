// What the server acknowledged survives the process: a 201 message at once, a 302 click within one second
// (clicks are batched, TANDEM_CLICK_FLUSH_MS), and every acknowledged click on a graceful shutdown.
import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createTestDatabase, type TestDatabase } from '../src/lib/testing/test-db.ts'
import type { TandemDatabase } from '../src/tandem/db.ts'
import { migrations } from '../src/tandem/migrations/index.ts'
import {
  type ApiUser,
  api,
  befriendOver,
  type ServerProcess,
  signUpOver,
  startTandemProcess,
  stopAll,
} from './support/processes.ts'

/** The server's promise: a click is on disk at most one second after its redirect. */
const CLICK_DURABLE_MS = 1000

/** A GET over the given agent, without following redirects. */
function get(url: URL, agent: http.Agent): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
}

interface SentMessage {
  id: string
  seq: number
  text: string
  links: { url: string; href: string }[]
}

if (!process.env.TEST_DATABASE_URL) {
  test('acknowledged messages and clicks survive kill -9 and SIGTERM', (t) => {
    t.skip('needs PostgreSQL: set TEST_DATABASE_URL')
  })
} else {
  describe('durability across process death', () => {
    let database: TestDatabase<TandemDatabase>
    let client: pg.Client
    const servers: ServerProcess[] = []
    let ana: ApiUser
    let ben: ApiUser
    let threadId: string
    const sent: SentMessage[] = []
    let acknowledgedClicks = 0

    const start = async () => {
      const server = await startTandemProcess(database.url!)
      servers.push(server)
      return server
    }
    const clickCount = async () =>
      // One row per link per flush, carrying how many clicks it saw.
      Number((await client.query('select coalesce(sum(clicks), 0) as n from link_clicks')).rows[0].n)

    /** Sends `count` messages, each with its own link; every one must be acknowledged with 201. */
    async function sendMessages(server: ServerProcess, count: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        const n = sent.length
        const text = `message ${n}: see https://example.com/watch/${n}?from=tandem`
        const res = await api(server.url, ana, 'POST', `/api/threads/${threadId}/messages`, { text })
        assert.equal(res.status, 201, `message ${n}: ${JSON.stringify(res.body)}`)
        const { message } = res.body as { message: SentMessage }
        assert.equal(message.links.length, 1)
        sent.push(message)
      }
    }

    /** Follows shim links round-robin; counts only the redirects the server acknowledged with 302. */
    async function click(server: ServerProcess, count: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        const link = sent[i % sent.length]!.links[0]!
        // The href carries the configured public origin; the path is what the shim serves.
        const res = await fetch(new URL(new URL(link.href).pathname, server.url), { redirect: 'manual' })
        await res.arrayBuffer()
        assert.equal(res.status, 302, `click ${i} on ${link.href}`)
        assert.equal(res.headers.get('location'), link.url)
        acknowledgedClicks += 1
      }
    }

    /** Every message ever acknowledged, read back through the API from the newest page to the oldest. */
    async function readAll(server: ServerProcess): Promise<SentMessage[]> {
      const all: SentMessage[] = []
      let before: string | null = null
      for (let page = 0; page < 100; page++) {
        const query: string = before ? `?limit=7&before=${before}` : '?limit=7'
        const res = await api(server.url, ben, 'GET', `/api/threads/${threadId}/messages${query}`)
        assert.equal(res.status, 200, JSON.stringify(res.body))
        const body = res.body as { messages: SentMessage[]; nextCursor: string | null }
        all.unshift(...body.messages)
        before = body.nextCursor
        if (!before) return all
      }
      assert.fail('paging did not end within 100 pages')
    }

    const summary = (messages: SentMessage[]) => messages.map((m) => [m.id, m.seq, m.text])

    before(async () => {
      database = await createTestDatabase<TandemDatabase>('tandem', migrations)
      // The servers open their own pools; this handle is only needed again to drop the database.
      await database.close()
      client = new pg.Client({ connectionString: database.url })
      await client.connect()
      const server = await start()
      ana = await signUpOver(server.url, 'ana', 'Ana')
      ben = await signUpOver(server.url, 'ben', 'Ben')
      await befriendOver(ana, server.url, ben, server.url)
      const opened = await api(server.url, ana, 'POST', '/api/threads', { usernames: ['ben'] })
      assert.equal(opened.status, 201)
      threadId = (opened.body as { thread: { id: string } }).thread.id
    })

    after(async () => {
      await stopAll(servers)
      await client?.end()
      await database?.drop()
    })

    test('kill -9 loses no acknowledged message, nor a click acknowledged over a second before', async () => {
      const first = servers[0]!
      await sendMessages(first, 20)
      await click(first, 37)
      await sleep(CLICK_DURABLE_MS + 300)
      // Messages are committed before their 201: these are killed right after the last acknowledgement.
      await sendMessages(first, 20)
      const exit = await first.stop('SIGKILL')
      assert.equal(exit.signal, 'SIGKILL')

      const second = await start()
      assert.deepEqual(summary(await readAll(second)), summary(sent), 'every acknowledged message, in order')
      assert.equal(
        await clickCount(),
        acknowledgedClicks,
        'every click acknowledged over a second before the kill',
      )
      const perLink = await client.query<{ link_id: string; n: number }>(
        'select link_id, sum(clicks)::int as n from link_clicks group by link_id',
      )
      const expected = new Map<string, number>()
      for (let i = 0; i < acknowledgedClicks; i++) {
        const id = new URL(sent[i % 20]!.links[0]!.href).pathname.slice('/l/'.length)
        expected.set(id, (expected.get(id) ?? 0) + 1)
      }
      assert.deepEqual(
        new Map(perLink.rows.map((r) => [r.link_id, r.n])),
        expected,
        'each click counted on its own link',
      )
    })

    test('SIGTERM right after the last click writes every acknowledged click before exiting', async () => {
      const server = servers.at(-1)!
      await click(server, 53)
      const exit = await server.stop('SIGTERM')
      assert.deepEqual(exit, { code: 0, signal: null }, `graceful exit:\n${server.output()}`)
      assert.equal(await clickCount(), acknowledgedClicks, 'every acknowledged click is in link_clicks')
      const again = await start()
      assert.deepEqual(summary(await readAll(again)), summary(sent))
    })

    test('SIGTERM while clicks are in flight: every click answered 302 is written', async () => {
      const server = servers.at(-1)!
      const before = await clickCount()
      // Keep-alive connections, as browsers hold them; destroyed once the clients are done so the server's
      // drain does not wait for its keep-alive timeout.
      const agent = new http.Agent({ keepAlive: true })
      let acknowledged = 0
      let attempted = 0
      let terminated: Promise<unknown> | undefined
      const MAX_ATTEMPTS = 400
      // Eight clients click back to back; the server is told to stop once 40 clicks were answered.
      const worker = async (w: number) => {
        while (attempted < MAX_ATTEMPTS) {
          const link = sent[(attempted + w) % sent.length]!.links[0]!
          attempted += 1
          try {
            const res = await get(new URL(new URL(link.href).pathname, server.url), agent)
            if (res.status !== 302) return
            acknowledged += 1
          } catch {
            return
          }
          if (acknowledged >= 40 && !terminated) terminated = server.stop('SIGTERM')
        }
      }
      try {
        await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)))
      } finally {
        agent.destroy()
      }
      const exit = await (terminated ?? server.stop('SIGTERM'))
      assert.deepEqual(exit, { code: 0, signal: null }, `graceful exit:\n${server.output()}`)
      const written = (await clickCount()) - before
      assert.ok(
        written >= acknowledged,
        `${acknowledged} clicks were answered 302 but only ${written} were written (of ${attempted} attempted)`,
      )
      assert.ok(written <= attempted, `${written} clicks written for ${attempted} requests`)
      acknowledgedClicks += written
    })
  })
}
