// SECURITY.md row 40 for the partner admin routes: hostile input gets a 4xx with a stable code, never a 500.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { makePartnerTandem, type PartnerTandem, partnerBody } from './testing.ts'

/** Rerun a failure with the seed it prints: FUZZ_SEED=<seed> npx node --test src/tandem/partners/partners-fuzz.test.ts */
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_302)
const RUNS = Number(process.env.FUZZ_RUNS ?? 60)
const CODE_RE = /^[a-z][a-z0-9_]*$/
const ERROR_KEYS = new Set(['code', 'message', 'details', 'requestId'])

let t: PartnerTandem
let admin: Awaited<ReturnType<PartnerTandem['makeUser']>>
let agreementIds: string[]
before(async () => {
  t = await makePartnerTandem({ env: 'production', allowLoopbackPartnerUrls: false })
  admin = await t.makeUser({ isAdmin: true })
  await t.as(admin, {
    method: 'POST',
    url: '/api/admin/partners',
    payload: partnerBody({ clientId: 'fuzz-partner' }),
  })
  const created = await t.as(admin, {
    method: 'POST',
    url: '/api/admin/agreements',
    payload: { clientId: 'fuzz-partner', apis: ['inbox', 'friends'], validUntil: '2027-01-01' },
  })
  agreementIds = created.json().agreements.map((a: { id: string }) => a.id)
})
after(() => t.close())

// ---------------------------------------------------------------------------------------------
// Generators: junk anywhere, and near-misses of every field.

const junk = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(null, true, 0, -1, 1e308, '', '\u0000', '\ud800', 'a'.repeat(3000)),
)
const url = fc.oneof(
  fc.webUrl({ withFragments: true, withQueryParameters: true }),
  fc.constantFrom(
    'https://marquee.example/cb',
    'http://10.0.0.1/hook',
    'http://localhost:4000/cb',
    'https://[::ffff:127.0.0.1]/',
    'https://169.254.169.254/',
    'javascript:alert(1)',
    'https://*.example/cb',
    'https://u:p@a.example/',
    'https://a.example/\u0000',
    'https://a.example/#',
    '//a.example/cb',
    '',
  ),
  fc.string({ maxLength: 30 }),
  junk,
)
const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })
const jwkMember = fc.constantFrom(
  'kty',
  'kid',
  'crv',
  'x',
  'y',
  'n',
  'e',
  'd',
  'k',
  'alg',
  'use',
  'key_ops',
  'oth',
)
const jwk = fc.oneof(
  fc.dictionary(
    jwkMember,
    fc.oneof(fc.constantFrom('EC', 'OKP', 'RSA', 'oct', 'P-256', 'Ed25519', 'sig', 'ES256', 'AQAB'), junk),
  ),
  fc.record({ kid: fc.oneof(fc.string(), junk) }).map((k) => ({ ...ecKey, ...k })),
  junk,
)
const jwks = fc.oneof(fc.record({ keys: fc.array(jwk, { maxLength: 12 }) }), junk)
const clientId = fc.oneof(
  fc.constantFrom('fuzz-partner', 'no-such-partner'),
  fc.stringMatching(/^[a-z0-9][a-z0-9-]{2,39}$/),
  fc.string({ maxLength: 50 }),
)
const instant = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .date({ noInvalidDate: true, min: new Date('2020-01-01'), max: new Date('2040-01-01') })
    .map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom('2027-06-30', '2027-02-30', '2026-01-01T00:00:00+14:00', '9999-12-31'),
  junk,
)
const api = fc.oneof(fc.constantFrom('inbox', 'friends', 'activity', 'reporting', 'messages'), junk)

const partnerFields = {
  name: fc.oneof(fc.string({ maxLength: 90 }), junk),
  clientId,
  logoUrl: url,
  homepageUrl: url,
  privacyPolicyUrl: url,
  redirectUris: fc.oneof(fc.array(url, { maxLength: 12 }), junk),
  jwksUri: url,
  jwks,
  webhookUrl: fc.oneof(url, fc.constant(null)),
  dpopBoundAccessTokens: fc.oneof(fc.boolean(), junk),
  extra: junk,
}
/** Whole junk, a record of near-misses, or a valid base with a few fields replaced (so success paths run too). */
const body = <T>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }, base: Record<string, unknown> = {}) => {
  const some = fc.record(fields, { requiredKeys: [] })
  return fc.oneof(
    { weight: 3, arbitrary: some },
    { weight: 3, arbitrary: some.map((r) => ({ ...base, ...r })) },
    { weight: 1, arbitrary: junk },
  )
}

const segment = fc.oneof(
  fc.constantFrom('fuzz-partner', '00000000-0000-4000-8000-000000000000'),
  fc.string({ minLength: 1, maxLength: 60 }),
)

// ---------------------------------------------------------------------------------------------

function send(method: 'GET' | 'POST' | 'PATCH', path: string, payload?: unknown) {
  return t.as(admin, {
    method,
    url: path,
    ...(payload === undefined
      ? {}
      : { body: JSON.stringify(payload) ?? 'null', headers: { 'content-type': 'application/json' } }),
  })
}

function assertStable(res: LightMyRequestResponse, what: string): void {
  assert.ok(res.statusCode < 500, `${what} → ${res.statusCode} ${res.body}`)
  if (res.statusCode < 400) return
  const parsed = res.json() as { error?: Record<string, unknown> }
  assert.ok(parsed.error && typeof parsed.error === 'object', `${what}: error body ${res.body}`)
  assert.match(String(parsed.error.code), CODE_RE, what)
  assert.equal(typeof parsed.error.message, 'string', what)
  for (const key of Object.keys(parsed.error)) assert.ok(ERROR_KEYS.has(key), `${what}: key ${key}`)
}

const check = <T>(arb: fc.Arbitrary<T>, run: (value: T) => Promise<void>) =>
  fc.assert(fc.asyncProperty(arb, run), { seed: SEED, numRuns: RUNS })

describe('SECURITY row 40: partner admin routes under hostile input', () => {
  test('POST /api/admin/partners', async () => {
    await check(body(partnerFields, partnerBody()), async (payload) => {
      const res = await send('POST', '/api/admin/partners', payload)
      assertStable(res, `POST partners ${JSON.stringify(payload)}`)
    })
  })

  test('PATCH /api/admin/partners/:clientId', async () => {
    await check(fc.tuple(clientId, body(partnerFields)), async ([id, payload]) => {
      const res = await send('PATCH', `/api/admin/partners/${encodeURIComponent(id)}`, payload)
      assertStable(res, `PATCH ${id} ${JSON.stringify(payload)}`)
    })
  })

  test('GET, suspend, activate and compliance of /api/admin/partners/:clientId', async () => {
    const routes = fc.constantFrom(
      ['GET', ''],
      ['POST', '/suspend'],
      ['POST', '/activate'],
      ['GET', '/compliance'],
    ) as fc.Arbitrary<['GET' | 'POST', string]>
    await check(fc.tuple(routes, segment, fc.option(junk)), async ([[method, suffix], id, payload]) => {
      const path = `/api/admin/partners/${encodeURIComponent(id)}${suffix}`
      const res = await send(method, path, method === 'POST' ? (payload ?? undefined) : undefined)
      assertStable(res, `${method} ${path}`)
    })
    await send('POST', '/api/admin/partners/fuzz-partner/activate')
  })

  test('POST /api/admin/agreements', async () => {
    const fields = {
      clientId,
      apis: fc.oneof(fc.array(api, { maxLength: 5 }), junk),
      validFrom: instant,
      validUntil: instant,
      obligations: fc.oneof(
        fc.record(
          {
            reportEveryDays: fc.oneof(fc.integer(), junk),
            deletionReceiptDays: fc.oneof(fc.integer(), junk),
          },
          { requiredKeys: [] },
        ),
        junk,
      ),
    }
    await check(
      body(fields, { clientId: 'fuzz-partner', apis: ['activity'], validUntil: '2027-06-30' }),
      async (payload) => {
        assertStable(
          await send('POST', '/api/admin/agreements', payload),
          `POST agreements ${JSON.stringify(payload)}`,
        )
      },
    )
  })

  test('GET /api/admin/agreements and /api/admin/compliance with junk queries', async () => {
    await check(
      fc.tuple(
        fc.constantFrom('/api/admin/agreements', '/api/admin/compliance', '/api/admin/partners'),
        fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 50 }), { maxKeys: 3 }),
      ),
      async ([path, query]) => {
        const res = await send('GET', `${path}?${new URLSearchParams(query)}`)
        assertStable(res, `GET ${path} ${JSON.stringify(query)}`)
      },
    )
  })

  test('POST /api/admin/agreements/:id/extend and /end', async () => {
    const id = fc.oneof(fc.constantFrom(...agreementIds), fc.uuid(), segment)
    const action = fc.constantFrom('extend', 'end')
    const payload = body({ validUntil: instant, reason: fc.oneof(fc.string({ maxLength: 600 }), junk) })
    await check(fc.tuple(action, id, payload), async ([verb, agreementId, p]) => {
      const path = `/api/admin/agreements/${encodeURIComponent(agreementId)}/${verb}`
      assertStable(await send('POST', path, p), `POST ${path} ${JSON.stringify(p)}`)
    })
  })
})
