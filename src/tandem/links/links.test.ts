import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { makeTandem, type TestTandem } from '../testing.ts'
import { ClickRecorder } from './click-recorder.ts'
import { countClicks } from './links.repository.ts'
import { findUrls, safeHttpUrl } from './links.service.ts'

let t: TestTandem
before(async () => {
  t = await makeTandem({ clickFlushMs: 50 })
})
after(() => t.close())

async function sentLink(url: string) {
  const a = await t.makeUser()
  const b = await t.makeUser()
  await t.befriend(a, b)
  const thread = (
    await t.as(a, { method: 'POST', url: '/api/threads', payload: { usernames: [b.username] } })
  ).json().thread
  const res = await t.as(a, {
    method: 'POST',
    url: `/api/threads/${thread.id}/messages`,
    payload: { text: `see ${url}` },
  })
  const href: string = res.json().message.links[0].href
  return { id: href.split('/l/')[1]!, path: new URL(href).pathname }
}

async function eventually(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 100; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  assert.fail(`timed out waiting for ${what}`)
}

describe('link shim', () => {
  test('finds http(s) URLs only, without sentence punctuation', () => {
    assert.deepEqual(
      findUrls('a https://x.example/a?b=1. b (http://y.example/p) javascript:alert(1) ftp://z.example'),
      ['https://x.example/a?b=1', 'http://y.example/p'],
    )
    assert.equal(safeHttpUrl('javascript:alert(1)'), undefined)
    assert.equal(safeHttpUrl('data:text/html,hi'), undefined)
    assert.equal(safeHttpUrl('https://user:pw@x.example/'), undefined)
    assert.ok(safeHttpUrl('https://x.example/'))
  })

  test('SECURITY row 42: unknown and malformed ids are 404; ids carry at least 128 random bits', async () => {
    for (const path of [
      '/l/AAAAAAAAAAAAAAAAAAAAAAAA',
      '/l/short',
      '/l/..%2F..%2Fetc',
      `/l/${'x'.repeat(150)}`,
    ]) {
      const res = await t.app.inject({ method: 'GET', url: path })
      assert.equal(res.statusCode, 404, path)
      assert.deepEqual(res.json(), { error: { code: 'link_not_found', message: 'link not found' } })
    }
    const { id } = await sentLink('https://example.org/a')
    assert.equal(Buffer.from(id, 'base64url').length * 8 >= 128, true)
  })

  test('a GET counts the click and answers 302; clicks are on disk within the flush interval', async () => {
    const { id, path } = await sentLink('https://example.org/counted')
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({ method: 'GET', url: path })
      assert.equal(res.statusCode, 302)
      assert.equal(res.headers.location, 'https://example.org/counted')
      assert.equal(res.headers['cache-control'], 'no-store')
    }
    await eventually(async () => (await countClicks(t.db, id)) === 3, 'three clicks on disk')
  })

  test('a HEAD probe redirects but does not count', async () => {
    const { id, path } = await sentLink('https://example.org/head')
    const res = await t.app.inject({ method: 'HEAD', url: path })
    assert.equal(res.statusCode, 302)
    await t.ctx.clicks.flush()
    assert.equal(await countClicks(t.db, id), 0)
  })

  test('close() writes buffered clicks (graceful shutdown)', async () => {
    const { id } = await sentLink('https://example.org/shutdown')
    const recorder = new ClickRecorder(t.db, t.clock, 60_000)
    for (let i = 0; i < 5; i++) recorder.record(id)
    assert.equal(await countClicks(t.db, id), 0, 'nothing written before the interval')
    await recorder.close()
    assert.equal(await countClicks(t.db, id), 5)
  })

  test('a flush writes one row per link with its count, stamped with the first click; a failed write is retried', async () => {
    const a = await sentLink('https://example.org/agg-a')
    const b = await sentLink('https://example.org/agg-b')
    const start = t.clock.now()
    const recorder = new ClickRecorder(t.db, t.clock, 60_000)
    for (let i = 0; i < 7; i++) recorder.record(a.id)
    for (let i = 0; i < 2; i++) recorder.record(b.id)
    assert.equal(recorder.pending, 9)
    await recorder.flush()
    assert.equal(recorder.pending, 0)
    const rows = await t.db
      .selectFrom('link_clicks')
      .select(['link_id', 'clicks', 'clicked_at'])
      .where('link_id', 'in', [a.id, b.id])
      .orderBy('clicks', 'desc')
      .execute()
    assert.deepEqual(
      rows.map((r) => [r.link_id, r.clicks]),
      [
        [a.id, 7],
        [b.id, 2],
      ],
    )
    assert.ok(rows.every((r) => new Date(r.clicked_at).getTime() >= start.getTime()))
    recorder.record(a.id)
    await recorder.flush()
    assert.equal(await countClicks(t.db, a.id), 8, 'rows of several flushes add up')

    // A write that fails keeps its clicks, merged with those recorded since, for the next flush.
    const broken = new ClickRecorder(t.db, t.clock, 60_000)
    broken.record(b.id)
    broken.record('no-such-link-aaaaaaaaaaaa')
    await broken.flush()
    assert.equal(broken.pending, 2, 'the foreign key refused the batch; nothing is lost')
    broken.record(b.id)
    assert.equal(broken.pending, 3)
    await broken.flush()
    assert.equal(broken.pending, 3, 'still refused, still kept')
    assert.equal(await countClicks(t.db, b.id), 2, 'a refused batch writes nothing')
    await broken.close()
  })

  test('over real HTTP the shim answers from its fast path: 302 and count, HEAD uncounted, 404 in the error shape', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 })
    const port = (t.app.server.address() as { port: number }).port
    const { id, path } = await sentLink('https://example.org/fast?q=é')
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: 'manual' })
    assert.equal(res.status, 302)
    assert.equal(res.headers.get('location'), 'https://example.org/fast?q=%C3%A9')
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
    const head = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'HEAD', redirect: 'manual' })
    assert.equal(head.status, 302)
    await eventually(async () => (await countClicks(t.db, id)) === 1, 'one click on disk')
    const missing = await fetch(`http://127.0.0.1:${port}/l/AAAAAAAAAAAAAAAAAAAAAAAA`)
    assert.equal(missing.status, 404)
    assert.deepEqual(await missing.json(), { error: { code: 'link_not_found', message: 'link not found' } })
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    assert.match(metrics, /tandem_shim_redirects_total\{status="302"\} 2/)
  })
})
