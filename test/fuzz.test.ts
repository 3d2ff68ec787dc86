// SECURITY.md row 40: every input is validated; bad input gets a 4xx with a stable error code, never a 500.
// The routes come from the app's own /openapi.json, so a route added later is fuzzed without touching this file.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import fc from 'fast-check'
import { startSession } from '../src/tandem/accounts/accounts.service.ts'
import { makeTandem } from '../src/tandem/testing.ts'
import { createFuzzer, RUNS, SEED, type Sent } from './support/fuzz.ts'

const t = await makeTandem()
after(() => t.close())

// ---------------------------------------------------------------------------------------------
// The world the fuzzer acts in: real rows whose ids and names the generators mix into their input,
// so "valid but unknown" and "valid and known" both get exercised.

const ana = await t.makeUser({ username: 'fuzz_ana', displayName: 'Ana' })
const ben = await t.makeUser({ username: 'fuzz_ben', displayName: 'Ben' })
const cleo = await t.makeUser({ username: 'fuzz_cleo', displayName: 'Cleo' })
const dora = await t.makeUser({ username: 'fuzz_dora', displayName: 'Dora' })
await t.befriend(ana, ben)
const pendingRequest = await t.as(cleo, {
  method: 'POST',
  url: '/api/friends/requests',
  payload: { username: ana.username },
})
await t.as(ana, { method: 'POST', url: '/api/blocks', payload: { username: dora.username } })
const anaBen = (
  await t.as(ana, { method: 'POST', url: '/api/threads', payload: { usernames: [ben.username] } })
).json().thread
const firstMessage = (
  await t.as(ana, {
    method: 'POST',
    url: `/api/threads/${anaBen.id}/messages`,
    payload: {
      text: 'look https://example.com/a and http://example.org/b?c=d',
      card: { title: 'T', url: 'https://e.example/t' },
    },
  })
).json().message
const linkIds: string[] = [
  ...firstMessage.links.map((l: { href: string }) => l.href.split('/l/')[1]),
  firstMessage.card.href.split('/l/')[1],
]
const knownIds: string[] = [
  ana.id,
  ben.id,
  cleo.id,
  dora.id,
  anaBen.id,
  firstMessage.id,
  pendingRequest.json().request.id,
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
]
const knownUsernames = [ana.username, ben.username, cleo.username, dora.username, 'FUZZ_ANA']

// A pair for the valid-send properties, outside the fuzzers' pools so fuzzing cannot unfriend or block them.
// (All setup happens before the first test is declared: the runner starts tests while the module still loads.)
const sender = await t.makeUser({ username: 'send_ana', displayName: 'Ana Sender' })
const recipient = await t.makeUser({ username: 'send_ben', displayName: 'Ben Recipient' })
await t.befriend(sender, recipient)
const sendThread = (
  await t.as(sender, { method: 'POST', url: '/api/threads', payload: { usernames: [recipient.username] } })
).json().thread

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// The fuzzer, over every /api route and the link shim.

const mint = async (user: { id: string }) =>
  `tandem_session=${await startSession(t.db, user.id, { clock: t.clock, ttlDays: t.config.sessionTtlDays })}`
const {
  fuzzedRoutes,
  requestFor,
  fuzz,
  tables,
  digest,
  mutation,
  mutate,
  idempotencyKey,
  clip,
  describeSent,
  describeResponse,
  assertWellFormed,
  auth,
  junkCookie,
  weirdString,
  encode,
} = await createFuzzer({
  app: t.app,
  db: t.db as never,
  fuzzedPrefixes: ['/api/', '/l/'],
  knownIds,
  knownUsernames,
  pathValues: linkIds,
  ownOrigins: ['http://localhost:3000', 'http://localhost:80'],
  cookieName: 'tandem_session',
  mintCookies: async () => ({ member: await mint(ana), stranger: await mint(cleo) }),
  beforeDigest: () => t.ctx.clicks.flush(),
  file: 'test/fuzz.test.ts',
})
// ---------------------------------------------------------------------------------------------

describe('the route list comes from /openapi.json', () => {
  test('it documents the first-party API of DESIGN §5 and the link shim', () => {
    const listed = new Set(fuzzedRoutes.map((r) => `${r.method} ${r.path}`))
    for (const route of [
      'POST /api/signup',
      'POST /api/login',
      'POST /api/logout',
      'GET /api/me',
      'POST /api/friends/requests',
      'POST /api/friends/requests/{id}/accept',
      'GET /api/friends',
      'DELETE /api/friends/{userId}',
      'POST /api/threads',
      'GET /api/threads',
      'GET /api/threads/{id}/messages',
      'POST /api/threads/{id}/messages',
      'POST /api/threads/{id}/read',
      'GET /l/{id}',
      'GET /api/partners/mutes',
      'POST /api/partners/{clientId}/mute',
      'DELETE /api/partners/{clientId}/mute',
    ]) {
      assert.ok(listed.has(route), `${route} is missing from /openapi.json`)
    }
  })
})

describe('SECURITY row 40: every route, fuzzed (no 5xx, errors in one shape, a refused request writes nothing)', () => {
  for (const route of fuzzedRoutes) {
    test(`${route.method} ${route.path}`, async () => {
      await fuzz(requestFor(route))
    })
  }
})

describe('URLs the router itself refuses', () => {
  const brokenSegment = fc.oneof(
    fc.constantFrom('%', '%zz', '%E', '%ED%A0%80', '%C0%AF', '%FF', '%F0%9F', 'a%'),
    fc.string({ unit: fc.constantFrom('a', '-', '0'), minLength: 201, maxLength: 600 }),
  )
  test('malformed percent-encoding and over-long path segments answer 4xx in the error shape', async () => {
    const arb = fc
      .record({
        route: fc.constantFrom(...fuzzedRoutes),
        segment: brokenSegment,
        auth,
        junkCookie,
      })
      .map(({ route, segment, auth, junkCookie }) => {
        const url =
          route.pathParams.length > 0 ? route.path.replace(/\{\w+\}/, segment) : `${route.path}/${segment}`
        const sent: Sent = { method: route.method, url, headers: {}, auth, junkCookie }
        Object.defineProperty(sent, fc.toStringMethod, { value: () => describeSent(sent) })
        return sent
      })
    await fuzz(arb, 60)
  })

  test('unknown paths and methods under /api answer 404 route_not_found', async () => {
    const arb = fc
      .record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        path: fc.array(weirdString(10).map(encode), { minLength: 1, maxLength: 4 }),
        auth,
        junkCookie,
      })
      .map(({ method, path, auth, junkCookie }) => {
        const sent: Sent = { method, url: `/api/zz/${path.join('/')}`, headers: {}, auth, junkCookie }
        Object.defineProperty(sent, fc.toStringMethod, { value: () => describeSent(sent) })
        return sent
      })
    await fuzz(arb, 60)
  })
})

// ---------------------------------------------------------------------------------------------
// Valid sends to a real thread: always 201, stored as sent, replayed once per Idempotency-Key,
// and every link they carry goes through the shim.

const printable = (maxLength: number) => fc.string({ unit: 'grapheme', maxLength })
/** http(s) URLs as people paste them: encoded by fast-check, or with raw non-ASCII in the path. */
const pastedUrl = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc
    .tuple(
      fc.webUrl(),
      printable(6).filter((s) => !/[\s<>"'`]/.test(s)),
    )
    .map(([url, tail]) => `${url.replace(/\/$/, '')}/${tail}`),
)
const validSend = fc.record(
  {
    text: fc
      .oneof(
        {
          weight: 6,
          arbitrary: fc.array(fc.oneof(printable(12), pastedUrl), { minLength: 1, maxLength: 6 }),
        },
        // Long texts near the 4000-character limit, in characters of 1 to 4 UTF-8 bytes.
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom('a', 'é', '日', '😀'), fc.integer({ min: 1, max: 100 }))
            .map(([c, percent]) => [c.repeat(Math.floor(((3990 / c.length) * percent) / 100))]),
        },
      )
      .map((parts) => `m ${parts.join(' ')}`),
    card: fc.record(
      {
        title: printable(40).filter((s) => s.trim().length > 0 && s.length <= 200),
        url: pastedUrl,
        imageUrl: fc.option(fc.webUrl(), { nil: null }),
      },
      { requiredKeys: ['title', 'url'] },
    ),
  },
  { requiredKeys: ['text'] },
)

const countMessages = async () =>
  Number(
    (
      await t.db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('thread_id', '=', sendThread.id)
        .executeTakeFirstOrThrow()
    ).n,
  )

/** Follows a shim href in-process; the redirect must carry the recorded URL in a form a header can hold. */
async function assertShimRedirects(href: string, recorded: string): Promise<void> {
  const path = new URL(href).pathname
  const res = await t.app.inject({ method: 'GET', url: path })
  assert.equal(
    res.statusCode,
    302,
    `the shim must redirect to every URL a message accepted (${JSON.stringify(recorded)}): GET ${path} ${describeResponse(res)}`,
  )
  const location = String(res.headers.location)
  // A header travels as bytes: anything outside ASCII reaches the browser mangled (RFC 9110 §10.2.2, RFC 3986 §2.1).
  assert.match(
    location,
    /^[\x21-\x7e]+$/,
    `the shim's Location is not percent-encoded ASCII: ${JSON.stringify(location)}`,
  )
  assert.equal(new URL(location).href, new URL(recorded).href, `the shim redirected elsewhere: ${location}`)
}

describe('valid sends to a real thread', () => {
  test('are 201, stored as sent, replayed once per Idempotency-Key, and their links redirect', async () => {
    const key = fc.option(fc.stringMatching(/^[\x21-\x7e]{1,64}$/), { nil: undefined })
    const property = fc.asyncProperty(validSend, key, async (body, idempotencyKey) => {
      const headers = idempotencyKey ? { 'idempotency-key': `${idempotencyKey}` } : {}
      const url = `/api/threads/${sendThread.id}/messages`
      const what = `POST ${url} ${JSON.stringify({ headers, body })}`
      const before = await countMessages()
      const res = await t.as(sender, { method: 'POST', url, headers, payload: body })
      assertWellFormed('POST', res, what)
      assert.equal(res.statusCode, 201, `a valid send was refused: ${what} ${describeResponse(res)}`)
      const message = res.json().message
      assert.equal(message.text, body.text)
      assert.equal(await countMessages(), before + 1, 'one send, one message')

      const page = await t.as(recipient, { method: 'GET', url: `${url}?limit=1` })
      assert.equal(page.statusCode, 200)
      assert.deepEqual(
        page.json().messages.map((m: { id: string; text: string }) => [m.id, m.text]),
        [[message.id, body.text]],
        'the recipient reads what was sent',
      )

      if (idempotencyKey) {
        const replay = await t.as(sender, { method: 'POST', url, headers, payload: body })
        assert.equal(replay.statusCode, 201)
        assert.equal(replay.headers['idempotent-replayed'], 'true')
        assert.equal(replay.json().message.id, message.id)
        const reused = await t.as(sender, {
          method: 'POST',
          url,
          headers,
          payload: { text: `${body.text}!` },
        })
        assert.equal(reused.statusCode, 422)
        assert.deepEqual(reused.json(), {
          error: {
            code: 'idempotency_key_reused',
            message: 'this Idempotency-Key was already used for a different request',
          },
        })
        assert.equal(await countMessages(), before + 1, 'a replay and a refused reuse write nothing')
      }

      for (const link of message.links as { url: string; href: string }[])
        await assertShimRedirects(link.href, link.url)
      if (body.card) await assertShimRedirects(message.card.href, body.card.url)
    })
    try {
      await fc.assert(property, { seed: SEED, numRuns: 100 })
    } catch (error) {
      ;(error as Error).message += `\nRerun with FUZZ_SEED=${SEED} npx node --test test/fuzz.test.ts`
      throw error
    }
  })

  test('a refused send writes nothing: not a message, a link or an idempotency key', async () => {
    const url = `/api/threads/${sendThread.id}/messages`
    const property = fc.asyncProperty(
      validSend,
      mutation,
      fc.option(idempotencyKey, { nil: undefined }),
      async (body, m, key) => {
        const payload = JSON.stringify(mutate(body, m)) ?? ''
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (key !== undefined) headers['idempotency-key'] = key
        const before = await digest()
        const res = await t.as(sender, { method: 'POST', url, headers, payload })
        const what = `POST ${url} headers=${JSON.stringify(headers)} payload=${clip(payload)}`
        assertWellFormed('POST', res, what)
        if (res.statusCode >= 400) {
          const after = await digest()
          assert.deepEqual(
            tables.filter((n) => after[n] !== before[n]),
            [],
            `a refused send changed the database: ${what} ${describeResponse(res)}`,
          )
        }
      },
    )
    await fc.assert(property, { seed: SEED, numRuns: RUNS })
  })
})

// ---------------------------------------------------------------------------------------------
// What the fuzzers found, pinned as plain examples so each failure names its cause.

describe('inputs the fuzzers found', () => {
  test('PATCH /api/me with nothing to change answers 200 with the user as is, not 500', async () => {
    const res = await t.as(ana, { method: 'PATCH', url: '/api/me', payload: {} })
    assertWellFormed('PATCH', res, 'PATCH /api/me {} (an empty UPDATE … SET must not reach the database)')
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().user.username, ana.username)
  })

  test('an inbox cursor whose date PostgreSQL cannot hold is a 400 invalid_cursor, not 500', async () => {
    // Before 4713 BC on both engines; PGlite also fails on any year outside 1..9999 (ISO extended years).
    for (const at of ['-004714-01-01T00:00:00.000Z', '-271821-04-20T00:00:00.000Z']) {
      const before = Buffer.from(`${at}|00000000-0000-0000-0000-000000000000`).toString('base64url')
      const res = await t.as(ana, { method: 'GET', url: `/api/threads?before=${before}` })
      assertWellFormed('GET', res, `GET /api/threads?before=<base64url of "${at}|…">`)
      assert.deepEqual(res.json(), { error: { code: 'invalid_cursor', message: 'the cursor is not valid' } })
    }
  })

  test('the link shim redirects to a URL with non-ASCII characters in its percent-encoded form, not 500', async () => {
    const recorded = 'https://example.com/café/日本?q=ü'
    const sent = await t.as(sender, {
      method: 'POST',
      url: `/api/threads/${sendThread.id}/messages`,
      payload: { text: `see ${recorded}`, card: { title: 'Caf\u00e9', url: recorded } },
    })
    assert.equal(sent.statusCode, 201)
    const message = sent.json().message
    assert.equal(message.links[0].url, recorded)
    await assertShimRedirects(message.links[0].href, recorded)
    await assertShimRedirects(message.card.href, recorded)
  })

  test('a 4000-character message of multi-byte text is sent (NOTIFY limits bytes, not characters)', async () => {
    for (const c of ['日', '😀']) {
      const text = c.repeat(Math.floor(4000 / c.length))
      const url = `/api/threads/${sendThread.id}/messages`
      const res = await t.as(sender, { method: 'POST', url, payload: { text } })
      assertWellFormed('POST', res, `POST ${url} {text: ${JSON.stringify(c)} × ${text.length / c.length}}`)
      assert.equal(res.statusCode, 201)
      assert.equal(res.json().message.text, text)
    }
  })

  test('URLs the router refuses answer in the {error: {code, message}} shape', async () => {
    for (const url of [
      `/api/threads/%zz`,
      `/api/threads/%ED%A0%80/messages`,
      `/api/threads/${'a'.repeat(201)}`,
    ]) {
      const res = await t.as(ana, { method: 'GET', url })
      assertWellFormed(
        'GET',
        res,
        `GET ${clip(url, 60)} (Fastify's framework errors bypass the app's error handler)`,
      )
    }
  })
})
