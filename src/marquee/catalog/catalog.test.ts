import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { WatchEvent } from '../context.ts'
import { makeMarquee, type TestMarquee } from '../testing.ts'
import { CATALOG_SIZE, catalogChecksum, GENRES, generateCatalog } from './catalog.data.ts'
import { seedCatalogDemo } from './catalog.demo.ts'
import { escapeXml, renderPoster, wrapWords } from './poster.ts'
import { becauseYouWatched, friendsMightLike, similarTitles } from './recommendations.ts'

let marquee: TestMarquee
before(async () => {
  marquee = await makeMarquee()
})
after(() => marquee.close())

const catalog = generateCatalog()
/** Titles reserved per test, so the global co-watch counts of one test do not leak into another. */
const titlesFor = (offset: number, count: number) => catalog.slice(offset, offset + count).map((t) => t.id)

const notFoundBody = { error: { code: 'title_not_found', message: 'title not found' } }

/** Well-formed XML as far as a poster needs: balanced tags, no raw `<` or bare `&` in text or attributes. */
function assertWellFormedSvg(svg: string): void {
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  const stack: string[] = []
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g
  let last = 0
  for (const m of svg.matchAll(tag)) {
    const text = svg.slice(last, m.index)
    assert.doesNotMatch(text, /[<>]/, `stray markup in text: ${text}`)
    assert.doesNotMatch(text, /&(?!(amp|lt|gt|quot|#39);)/, `bare & in text: ${text}`)
    assert.doesNotMatch(m[3] ?? '', /&(?!(amp|lt|gt|quot|#39);)/, `bare & in attributes: ${m[0]}`)
    last = (m.index ?? 0) + m[0].length
    if (m[4] === '/') continue
    if (m[1] === '/') assert.equal(stack.pop(), m[2], `unbalanced </${m[2]}>`)
    else stack.push(m[2]!)
  }
  assert.equal(last, svg.length, 'nothing after the root element')
  assert.deepEqual(stack, [], 'every element closed')
}

describe('the shipped catalogue', () => {
  test('at least 200 titles with unique ids and names, valid fields, films and series, the pinned checksum', async () => {
    assert.ok(CATALOG_SIZE >= 200)
    assert.equal(catalog.length, CATALOG_SIZE)
    assert.equal(new Set(catalog.map((t) => t.id)).size, catalog.length)
    assert.equal(new Set(catalog.map((t) => t.name.toLowerCase())).size, catalog.length)
    const genreIds = new Set<string>(GENRES.map((g) => g.id))
    for (const t of catalog) {
      assert.match(t.id, /^[a-z0-9]+(-[a-z0-9]+)*$/)
      assert.ok(t.year >= 1950 && t.year <= 2026, t.id)
      assert.ok(t.runtimeMinutes >= 20 && t.runtimeMinutes <= 200, t.id)
      assert.ok(t.genres.length >= 1 && t.genres.every((g) => genreIds.has(g)), t.id)
      assert.ok(t.synopsis.length > 20 && t.synopsis.length < 300 && t.synopsis.endsWith('.'), t.synopsis)
      assert.equal(t.kind === 'series', t.seasons !== null)
    }
    assert.ok(catalog.some((t) => t.kind === 'series') && catalog.some((t) => t.kind === 'film'))
    assert.deepEqual(generateCatalog(), catalog, 'deterministic')
    assert.equal(catalogChecksum(), catalogChecksum(catalog))

    const stored = await marquee.db.selectFrom('titles').select(['id', 'name', 'genres', 'kind']).execute()
    assert.equal(stored.length, CATALOG_SIZE, 'the migration inserted the catalogue')
    const first = stored.find((t) => t.id === catalog[0]!.id)
    assert.deepEqual(first?.genres, catalog[0]!.genres)
  })

  test('GET /api/genres lists the fixed genres with their counts', async () => {
    const res = await marquee.app.inject({ method: 'GET', url: '/api/genres' })
    assert.equal(res.statusCode, 200)
    const { genres } = res.json() as { genres: Array<{ id: string; name: string; count: number }> }
    assert.deepEqual(
      genres.map((g) => g.id),
      GENRES.map((g) => g.id),
    )
    for (const g of genres) {
      assert.equal(g.count, catalog.filter((t) => t.genres.includes(g.id as never)).length)
      assert.ok(g.count >= CATALOG_SIZE / GENRES.length)
    }
  })
})

describe('posters', () => {
  test('a valid, cacheable SVG per title with its name, year and genre', async () => {
    const t = catalog[3]!
    const res = await marquee.app.inject({ method: 'GET', url: `/posters/${t.id}.svg?v=1` })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-type'], 'image/svg+xml; charset=utf-8')
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable')
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
    assertWellFormedSvg(res.body)
    assert.ok(res.body.includes(`>${t.year}<`))
    for (const word of t.name.split(' ')) assert.ok(res.body.includes(escapeXml(word)), word)
    assert.doesNotMatch(
      res.body,
      /<script|href=|xlink|url\((?!#)|https?:\/\/(?!www\.w3\.org)/i,
      'nothing remote',
    )

    const again = await marquee.app.inject({ method: 'GET', url: `/posters/${t.id}.svg` })
    assert.equal(again.body, res.body, 'deterministic')
    const cached = await marquee.app.inject({
      method: 'GET',
      url: `/posters/${t.id}.svg`,
      headers: { 'if-none-match': String(res.headers.etag) },
    })
    assert.equal(cached.statusCode, 304)
    const other = await marquee.app.inject({ method: 'GET', url: `/posters/${catalog[4]!.id}.svg` })
    assert.notEqual(other.body, res.body)
  })

  test('every shipped poster is well-formed', () => {
    for (const t of catalog) assertWellFormedSvg(renderPoster(t))
  })

  test('names are escaped; characters XML forbids are dropped', async () => {
    await marquee.db
      .insertInto('titles')
      .values({
        id: 'escape-test',
        name: `<script>alert("x")</script> & Tom's "Café"\u0001`,
        year: 2020,
        runtime_minutes: 90,
        genres: ['drama'],
        synopsis: 'A test.',
      })
      .execute()
    const res = await marquee.app.inject({ method: 'GET', url: '/posters/escape-test.svg' })
    assert.equal(res.statusCode, 200)
    assertWellFormedSvg(res.body)
    assert.ok(!res.body.includes('<script'))
    assert.ok(res.body.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'))
    assert.ok(res.body.includes('&amp; Tom&#39;s'))
    assert.ok(!res.body.includes('\u0001'))
    await marquee.db.deleteFrom('titles').where('id', '=', 'escape-test').execute()
    assert.equal(escapeXml('a\u0000b\ud800c&'), 'abc&amp;')
    assert.deepEqual(wrapWords('The Lighthouse at Kestrel Point', 12), [
      'The',
      'Lighthouse',
      'at Kestrel',
      'Point',
    ])
  })

  test('an unknown poster is 404 title_not_found; another extension is no route', async () => {
    const res = await marquee.app.inject({ method: 'GET', url: '/posters/no-such-title.svg' })
    assert.equal(res.statusCode, 404)
    assert.deepEqual(res.json(), notFoundBody)
    const png = await marquee.app.inject({ method: 'GET', url: `/posters/${catalog[3]!.id}.png` })
    assert.equal(png.statusCode, 404)
  })
})

describe('browse, titles and search', () => {
  test('GET /api/titles pages through the whole catalogue with nextCursor, newest first', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    let previous: { year: number } | undefined
    do {
      const url: string = `/api/titles?limit=50${cursor ? `&cursor=${cursor}` : ''}`
      const res = await marquee.app.inject({ method: 'GET', url })
      assert.equal(res.statusCode, 200)
      const body = res.json() as {
        titles: Array<{ id: string; year: number; posterUrl: string }>
        nextCursor: string | null
      }
      assert.equal(res.headers['cache-control'], 'no-store')
      for (const t of body.titles) {
        if (previous) assert.ok(t.year <= previous.year, 'newest first')
        previous = t
        seen.push(t.id)
      }
      assert.equal(body.titles[0]?.posterUrl, `/posters/${body.titles[0]?.id}.svg?v=1`)
      cursor = body.nextCursor
      pages += 1
    } while (cursor && pages < 20)
    assert.equal(pages, Math.ceil(CATALOG_SIZE / 50))
    assert.equal(seen.length, CATALOG_SIZE)
    assert.equal(new Set(seen).size, CATALOG_SIZE, 'no title twice')
  })

  test('a genre filter returns only that genre', async () => {
    const res = await marquee.app.inject({ method: 'GET', url: '/api/titles?genre=documentary&limit=100' })
    assert.equal(res.statusCode, 200)
    const { titles, nextCursor } = res.json() as { titles: Array<{ genres: string[] }>; nextCursor: null }
    assert.equal(titles.length, catalog.filter((t) => t.genres.includes('documentary')).length)
    assert.ok(titles.every((t) => t.genres.includes('documentary')))
    assert.equal(nextCursor, null)
  })

  test('bad list input is a 400 with a stable code', async () => {
    const cases: Array<[string, string]> = [
      ['/api/titles?cursor=bm9wZQ', 'invalid_cursor'],
      ['/api/titles?cursor=%25%25%25', 'invalid_cursor'],
      [`/api/titles?cursor=${Buffer.from('2020|x|y').toString('base64url')}`, 'invalid_cursor'],
      ['/api/titles?genre=westerns', 'validation_failed'],
      ['/api/titles?limit=0', 'validation_failed'],
      ['/api/titles?limit=1000', 'validation_failed'],
      ['/api/titles?limit=ten', 'validation_failed'],
      ['/api/titles?genre=drama&genre=comedy', 'validation_failed'],
      [`/api/search?q=${'a'.repeat(101)}`, 'validation_failed'],
      ['/api/search?q=a&q=b', 'validation_failed'],
    ]
    for (const [url, code] of cases) {
      const res = await marquee.app.inject({ method: 'GET', url })
      assert.equal(res.statusCode, 400, url)
      assert.equal(res.json().error.code, code, url)
    }
    const huge = await marquee.app.inject({ method: 'GET', url: `/api/search?q=${'x'.repeat(5000)}` })
    assert.equal(huge.statusCode, 400)
  })

  test('search matches every word, best name matches first; wildcards are literal', async () => {
    const target = catalog.find((t) => t.name.split(' ').length >= 3)!
    const exact = await marquee.app.inject({
      method: 'GET',
      url: `/api/search?q=${encodeURIComponent(target.name.toUpperCase())}`,
    })
    assert.equal(exact.statusCode, 200)
    assert.equal(exact.json().titles[0].id, target.id)

    const res = await marquee.app.inject({ method: 'GET', url: '/api/search?q=mapmakers%20ice' })
    const titles = res.json().titles as Array<{ synopsis: string }>
    assert.ok(titles.length > 0)
    for (const t of titles) assert.match(t.synopsis.toLowerCase(), /mapmakers|ice/)

    const byGenre = await marquee.app.inject({ method: 'GET', url: '/api/search?q=science%20fiction' })
    assert.ok(byGenre.json().titles.length > 0)

    const year = catalog[0]!.year
    const byYear = await marquee.app.inject({ method: 'GET', url: `/api/search?q=${year}` })
    const yearTitles = byYear.json().titles as Array<{ year: number }>
    assert.ok(yearTitles.length > 0 && yearTitles.every((t) => t.year === year))

    for (const q of ['%', '_', '\\', '   ', '']) {
      const none = await marquee.app.inject({ method: 'GET', url: `/api/search?q=${encodeURIComponent(q)}` })
      assert.equal(none.statusCode, 200, q)
      assert.deepEqual(none.json(), { titles: [] }, q)
    }
  })

  test('GET /api/titles/:id gives the detail; an unknown id is 404 title_not_found', async () => {
    const t = catalog.find((x) => x.kind === 'series')!
    const res = await marquee.app.inject({ method: 'GET', url: `/api/titles/${t.id}` })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.deepEqual(body.title, {
      id: t.id,
      name: t.name,
      year: t.year,
      runtimeMinutes: t.runtimeMinutes,
      genres: t.genres,
      synopsis: t.synopsis,
      posterUrl: `/posters/${t.id}.svg?v=1`,
      kind: 'series',
      seasons: t.seasons,
      genreNames: t.genres.map((g) => GENRES.find((x) => x.id === g)!.name),
      watch: null,
    })
    assert.equal(body.becauseYouWatched.length, 12, 'topped up by shared genres')
    assert.ok(!body.becauseYouWatched.some((x: { id: string }) => x.id === t.id))
    assert.deepEqual(body.friendsMightLike, [])

    for (const id of ['no-such-title', 'NOPE', '%27%3B--', 'a'.repeat(200)]) {
      const missing = await marquee.app.inject({ method: 'GET', url: `/api/titles/${id}` })
      assert.equal(missing.statusCode, 404, id)
      assert.deepEqual(missing.json(), notFoundBody)
    }
  })

  test('browse: logged out one row per genre; logged in also continue watching and because you watched', async () => {
    const anon = await marquee.app.inject({ method: 'GET', url: '/api/browse' })
    assert.equal(anon.statusCode, 200)
    const rows = anon.json().rows as Array<{ id: string; kind: string; titles: unknown[] }>
    assert.deepEqual(
      rows.map((r) => r.id),
      GENRES.map((g) => `genre:${g.id}`),
    )
    assert.ok(rows.every((r) => r.kind === 'genre' && r.titles.length === 12))

    const user = await marquee.makeUser()
    const [finished, watching] = titlesFor(20, 2) as [string, string]
    await marquee.as(user, { method: 'POST', url: `/api/titles/${finished}/play` })
    await marquee.as(user, {
      method: 'POST',
      url: `/api/titles/${finished}/progress`,
      payload: { positionSeconds: 999_999 },
    })
    marquee.clock.advance(60_000)
    await marquee.as(user, { method: 'POST', url: `/api/titles/${watching}/play` })
    const mine = await marquee.as(user, { method: 'GET', url: '/api/browse' })
    const myRows = mine.json().rows as Array<{
      id: string
      name: string
      kind: string
      titles: Array<{ id: string }>
    }>
    assert.deepEqual(
      myRows.slice(0, 3).map((r) => r.id),
      ['continue', `because_you_watched:${watching}`, `because_you_watched:${finished}`],
    )
    assert.deepEqual(
      myRows[0]!.titles.map((t) => t.id),
      [watching],
    )
    assert.equal(myRows[2]!.name, `Because you watched ${catalog[20]!.name}`)
    for (const row of myRows.slice(1, 3)) {
      assert.ok(!row.titles.some((t) => t.id === finished || t.id === watching), 'nothing already watched')
    }
  })
})

describe('the player', () => {
  test('play → progress → finished: listeners hear each transition once, after commit', async () => {
    const events: WatchEvent[] = []
    const record = async (e: WatchEvent) => {
      // Called after commit: the change is already visible to anyone reading the database.
      const row = await marquee.db
        .selectFrom('watch_history')
        .select(['started_at', 'finished_at'])
        .where('user_id', '=', e.userId)
        .where('title_id', '=', e.titleId)
        .executeTakeFirstOrThrow()
      assert.equal((e.kind === 'finished' ? row.finished_at : row.started_at)?.getTime(), e.at.getTime())
      events.push(e)
    }
    const failing = async () => {
      throw new Error('Tandem is down')
    }
    marquee.ctx.watchListeners.push(record, failing)
    try {
      const user = await marquee.makeUser()
      const id = titlesFor(30, 1)[0]!
      const runtime = catalog[30]!.runtimeMinutes * 60
      const play = await marquee.as(user, { method: 'POST', url: `/api/titles/${id}/play` })
      assert.equal(play.statusCode, 200)
      const start = marquee.clock.now().toISOString()
      assert.deepEqual(play.json(), {
        watch: {
          titleId: id,
          positionSeconds: 0,
          runtimeSeconds: runtime,
          startedAt: start,
          updatedAt: start,
          finished: false,
          finishedAt: null,
        },
      })
      assert.deepEqual(events, [{ userId: user.id, titleId: id, kind: 'watching', at: marquee.clock.now() }])

      marquee.clock.advance(10 * 60_000)
      const half = await marquee.as(user, {
        method: 'POST',
        url: `/api/titles/${id}/progress`,
        payload: { positionSeconds: Math.floor(runtime / 2) },
      })
      assert.equal(half.json().watch.positionSeconds, Math.floor(runtime / 2))
      assert.equal(half.json().watch.finished, false)
      const resumed = await marquee.as(user, { method: 'POST', url: `/api/titles/${id}/play` })
      assert.equal(resumed.json().watch.positionSeconds, Math.floor(runtime / 2), 'resumes where it was')
      assert.equal(resumed.json().watch.startedAt, start)
      assert.equal(events.length, 1, 'resuming is not a start')

      const justBefore = Math.ceil(runtime * 0.95) - 1
      await marquee.as(user, {
        method: 'POST',
        url: `/api/titles/${id}/progress`,
        payload: { positionSeconds: justBefore },
      })
      assert.equal(events.length, 1)
      marquee.clock.advance(60_000)
      const done = await marquee.as(user, {
        method: 'POST',
        url: `/api/titles/${id}/progress`,
        payload: { positionSeconds: justBefore + 1 },
      })
      assert.equal(done.json().watch.finished, true)
      assert.equal(done.json().watch.finishedAt, marquee.clock.now().toISOString())
      assert.deepEqual(events[1], { userId: user.id, titleId: id, kind: 'finished', at: marquee.clock.now() })
      const past = await marquee.as(user, {
        method: 'POST',
        url: `/api/titles/${id}/progress`,
        payload: { positionSeconds: runtime + 500 },
      })
      assert.equal(past.json().watch.positionSeconds, runtime, 'clamped to the runtime')
      assert.equal(past.json().watch.finishedAt, done.json().watch.finishedAt)
      assert.equal(events.length, 2, 'finished once')

      marquee.clock.advance(60_000)
      const rewatch = await marquee.as(user, { method: 'POST', url: `/api/titles/${id}/play` })
      assert.equal(rewatch.json().watch.positionSeconds, 0)
      assert.equal(rewatch.json().watch.finished, false)
      assert.deepEqual(
        events.map((e) => e.kind),
        ['watching', 'finished', 'watching'],
      )
      const stored = await marquee.db
        .selectFrom('watch_history')
        .selectAll()
        .where('user_id', '=', user.id)
        .where('title_id', '=', id)
        .executeTakeFirstOrThrow()
      assert.equal(stored.finished_at, null)
    } finally {
      marquee.ctx.watchListeners.splice(0)
    }
  })

  test('player errors: unknown title, progress before play, bad position, logged out', async () => {
    const user = await marquee.makeUser()
    const id = titlesFor(31, 1)[0]!
    const unknown = await marquee.as(user, { method: 'POST', url: '/api/titles/no-such-title/play' })
    assert.equal(unknown.statusCode, 404)
    assert.deepEqual(unknown.json(), notFoundBody)
    const early = await marquee.as(user, {
      method: 'POST',
      url: `/api/titles/${id}/progress`,
      payload: { positionSeconds: 10 },
    })
    assert.equal(early.statusCode, 409)
    assert.deepEqual(early.json(), {
      error: { code: 'not_playing', message: 'play the title before reporting progress' },
    })
    for (const payload of [
      { positionSeconds: -1 },
      { positionSeconds: 1.5 },
      { positionSeconds: '10' },
      {},
      { positionSeconds: 1, x: 1 },
    ]) {
      const bad = await marquee.as(user, { method: 'POST', url: `/api/titles/${id}/progress`, payload })
      assert.equal(bad.statusCode, 400, JSON.stringify(payload))
      assert.equal(bad.json().error.code, 'validation_failed')
    }
    const anon = await marquee.app.inject({ method: 'POST', url: `/api/titles/${id}/play` })
    assert.equal(anon.statusCode, 401)
    assert.equal(anon.json().error.code, 'unauthenticated')
    const history = await marquee.app.inject({ method: 'GET', url: '/api/history' })
    assert.equal(history.statusCode, 401)
  })

  test('history: most recent first, with the watch; deleting forgets one title', async () => {
    const user = await marquee.makeUser()
    const [a, b] = titlesFor(40, 2) as [string, string]
    await marquee.as(user, { method: 'POST', url: `/api/titles/${a}/play` })
    marquee.clock.advance(1000)
    await marquee.as(user, { method: 'POST', url: `/api/titles/${b}/play` })
    const res = await marquee.as(user, { method: 'GET', url: '/api/history' })
    assert.equal(res.statusCode, 200)
    const history = res.json().history as Array<{
      title: { id: string; name: string }
      watch: { titleId: string }
    }>
    assert.deepEqual(
      history.map((h) => h.title.id),
      [b, a],
    )
    assert.equal(history[0]!.watch.titleId, b)
    assert.equal(history[0]!.title.name, catalog[41]!.name)

    const page = await marquee.as(user, { method: 'GET', url: `/api/titles/${a}` })
    assert.equal(page.json().title.watch.titleId, a)

    const del = await marquee.as(user, { method: 'DELETE', url: `/api/history/${a}` })
    assert.equal(del.statusCode, 204)
    const again = await marquee.as(user, { method: 'DELETE', url: `/api/history/${a}` })
    assert.equal(again.statusCode, 204, 'idempotent')
    const unknown = await marquee.as(user, { method: 'DELETE', url: '/api/history/no-such-title' })
    assert.deepEqual(unknown.json(), notFoundBody)
    const after = await marquee.as(user, { method: 'GET', url: '/api/history' })
    assert.deepEqual(
      after.json().history.map((h: { title: { id: string } }) => h.title.id),
      [b],
    )
    const other = await marquee.makeUser()
    const theirs = await marquee.as(other, { method: 'GET', url: '/api/history' })
    assert.deepEqual(theirs.json(), { history: [] })
  })
})

describe('recommendations', () => {
  test('co-watch cosine similarity gives sensible neighbours on a hand-made history', async () => {
    const [A, B, C, D, E] = titlesFor(100, 5) as [string, string, string, string, string]
    const histories = [
      [A, B, C],
      [A, B],
      [A, B, D],
      [C, D, E],
      [D, E],
      [A, B, C],
      [A, C],
    ]
    const users = []
    for (const titles of histories) {
      const user = await marquee.makeUser()
      users.push(user)
      for (const id of titles) await marquee.as(user, { method: 'POST', url: `/api/titles/${id}/play` })
    }
    // A: 5 viewers, B: 4, C: 4, D: 3, E: 2. A·B = 4, A·C = 3, A·D = 1 (below the minimum of 2).
    const ofA = await similarTitles(marquee.db, A)
    assert.deepEqual(
      ofA.map((n) => n.titleId),
      [B, C],
    )
    assert.ok(Math.abs(ofA[0]!.score - 4 / Math.sqrt(20)) < 1e-9)
    assert.ok(Math.abs(ofA[1]!.score - 3 / Math.sqrt(20)) < 1e-9)
    assert.deepEqual(
      (await similarTitles(marquee.db, D)).map((n) => n.titleId),
      [E],
    )
    // The second viewer watched A and B: B is not recommended to them again.
    assert.deepEqual(
      (await similarTitles(marquee.db, A, { excludeUserId: users[1]!.id })).map((n) => n.titleId),
      [C],
    )
    const row = await becauseYouWatched(marquee.db, A, { limit: 6 })
    assert.deepEqual(
      row.slice(0, 2).map((t) => t.id),
      [B, C],
    )
    assert.equal(row.length, 6, 'topped up by shared genres')
    const genresOfA = new Set<string>(catalog[100]!.genres)
    assert.ok(row.slice(2).every((t) => t.genres.some((g) => genresOfA.has(g))))

    const page = await marquee.as(users[6]!, { method: 'GET', url: `/api/titles/${A}` })
    const ids = page.json().becauseYouWatched.map((t: { id: string }) => t.id)
    assert.equal(ids[0], B, 'the viewer of A and C is shown B first')
    assert.ok(!ids.includes(C), 'and not C, already watched')
  })

  test('friends who might like this: only friends who share their history, minus what I watched', async () => {
    const me = await marquee.makeUser()
    const sharing = await marquee.makeUser()
    const private_ = await marquee.makeUser()
    const [X, Y, Z, W] = titlesFor(120, 4) as [string, string, string, string]
    await marquee.db
      .updateTable('users')
      .set({ share_history_with_friends: true })
      .where('id', '=', sharing.id)
      .execute()
    for (const id of [X, Y, Z]) await marquee.as(sharing, { method: 'POST', url: `/api/titles/${id}/play` })
    await marquee.as(private_, { method: 'POST', url: `/api/titles/${W}/play` })
    await marquee.as(me, { method: 'POST', url: `/api/titles/${Z}/play` })

    const picks = await friendsMightLike(marquee.db, me.id, [sharing.id, private_.id, me.id, 'not-a-uuid'])
    assert.deepEqual(new Set(picks.map((t) => t.id)), new Set([X, Y]))
    assert.deepEqual(await friendsMightLike(marquee.db, me.id, []), [])

    const without = await marquee.as(me, { method: 'GET', url: `/api/titles/${X}` })
    assert.deepEqual(without.json().friendsMightLike, [], 'no friends known without the hook')
    marquee.ctx.friendsOf = async () => [sharing.id, private_.id]
    try {
      const page = await marquee.as(me, { method: 'GET', url: `/api/titles/${X}` })
      assert.deepEqual(
        page.json().friendsMightLike.map((t: { id: string }) => t.id),
        [Y],
      )
      const browse = await marquee.as(me, { method: 'GET', url: '/api/browse' })
      const friendsRow = browse.json().rows.find((r: { kind: string }) => r.kind === 'friends')
      assert.deepEqual(new Set(friendsRow.titles.map((t: { id: string }) => t.id)), new Set([X, Y]))
      marquee.ctx.friendsOf = async () => {
        throw new Error('Tandem is down')
      }
      const down = await marquee.as(me, { method: 'GET', url: `/api/titles/${X}` })
      assert.equal(down.statusCode, 200, 'the page goes on without friends')
      assert.deepEqual(down.json().friendsMightLike, [])
    } finally {
      delete marquee.ctx.friendsOf
    }
  })

  test('the demo seed gives the demo people and synthetic viewers histories; it is idempotent', async () => {
    const demo = await makeMarquee()
    try {
      const ana = await demo.makeUser({ username: 'ana' })
      const ben = await demo.makeUser({ username: 'ben' })
      const cleo = await demo.makeUser({ username: 'cleo' })
      const first = await seedCatalogDemo(demo.db, demo.clock, { ana: ana.id, ben: ben.id, cleo: cleo.id })
      assert.equal(first.viewers, 40)
      assert.ok(first.watches > 400)
      const second = await seedCatalogDemo(demo.db, demo.clock, { ana: ana.id, ben: ben.id, cleo: cleo.id })
      assert.equal(second.watches, 0)

      const history = await demo.as(ana, { method: 'GET', url: '/api/history' })
      const items = history.json().history as Array<{
        title: { genres: string[] }
        watch: { updatedAt: string }
      }>
      assert.ok(items.length >= 8)
      const tasteful = items.filter((h) =>
        h.title.genres.some((g) => ['science-fiction', 'mystery', 'thriller'].includes(g)),
      )
      assert.ok(tasteful.length >= items.length / 2, 'ana mostly watches what she likes')
      assert.ok(items.every((h) => new Date(h.watch.updatedAt) <= demo.clock.now()))

      const browse = await demo.as(ana, { method: 'GET', url: '/api/browse' })
      const because = browse.json().rows.filter((r: { kind: string }) => r.kind === 'because_you_watched')
      assert.equal(because.length, 2)
      const anaTitles = (
        await demo.db.selectFrom('watch_history').select('title_id').where('user_id', '=', ana.id).execute()
      ).map((r) => r.title_id)
      let withSignal = 0
      for (const id of anaTitles) if ((await similarTitles(demo.db, id)).length >= 3) withSignal += 1
      assert.ok(
        withSignal >= anaTitles.length / 2,
        `co-watch has signal (${withSignal} of ${anaTitles.length})`,
      )

      const login = await demo.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { username: 'demo_viewer_01', password: '!synthetic viewer: no password' },
      })
      assert.equal(login.statusCode, 401, 'synthetic viewers cannot log in')
    } finally {
      await demo.close()
    }
  })
})
