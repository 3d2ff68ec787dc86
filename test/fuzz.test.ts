// SECURITY.md row 40: every input is validated; bad input gets a 4xx with a stable error code, never a 500.
// The routes come from the app's own /openapi.json, so a route added later is fuzzed without touching this file.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { sql } from 'kysely'
import { startSession } from '../src/tandem/accounts/accounts.service.ts'
import { makeTandem } from '../src/tandem/testing.ts'

/** Rerun a failure with the seed it prints: FUZZ_SEED=<seed> npx node --test test/fuzz.test.ts */
const SEED = Number(process.env.FUZZ_SEED ?? 40_2024)
const RUNS = Number(process.env.FUZZ_RUNS ?? 100)
const ERROR_CODE_RE = /^[a-z][a-z0-9_]*$/
const ERROR_KEYS = new Set(['code', 'message', 'details', 'requestId'])

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
// Routes, from the OpenAPI document the server publishes.

interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  pattern?: string
  format?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  minItems?: number
  maxItems?: number
}

interface Param {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema: JsonSchema
}

interface Route {
  method: string
  /** OpenAPI form: /api/threads/{id} */
  path: string
  pathParams: Param[]
  queryParams: Param[]
  body: JsonSchema | undefined
}

const openapi = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: Param[]; requestBody?: { content?: Record<string, { schema: JsonSchema }> } }
    >
  >
}
const routes: Route[] = Object.entries(openapi.paths).flatMap(([path, operations]) =>
  Object.entries(operations).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    pathParams: (op.parameters ?? []).filter((p) => p.in === 'path'),
    queryParams: (op.parameters ?? []).filter((p) => p.in === 'query'),
    body: op.requestBody?.content?.['application/json']?.schema,
  })),
)
const fuzzedRoutes = routes.filter((r) => r.path.startsWith('/api/') || r.path.startsWith('/l/'))

// ---------------------------------------------------------------------------------------------
// Generators.

const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff']
/** One "character" of hostile text: any code point, lone surrogates, NUL and friends. */
const weirdUnit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '\u0000',
      ...LONE_SURROGATES,
      '\u202e',
      '\ufeff',
      '\uffff',
      '\u2028',
      '\r',
      '\n',
      '\t',
      '%',
      '\\',
      '"',
      "'",
      '<',
      '>',
      '&',
      '|',
      '😀',
      '\u{10ffff}',
    ),
  },
)
const weirdString = (maxLength = 40) => fc.string({ unit: weirdUnit, maxLength })
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf']
const protoKey = fc.constantFrom(...PROTO_KEYS)
const HUGE = 'x'.repeat(300_000)

/** Builds an object through defineProperty so that "__proto__" stays an own, serialised key. */
function objectWith(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  return o
}

/** A value of the wrong kind for almost any field. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, -0, 1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, 0.5),
  weirdString(),
  fc.constantFrom('', ' ', '\u0000', ...LONE_SURROGATES, 'x'.repeat(5000), '1', 'true', 'null', '[]', '{}'),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc
    .array(fc.tuple(fc.oneof(protoKey, weirdString(8)), fc.jsonValue({ maxDepth: 1 })), { maxLength: 3 })
    .map(objectWith),
)

const isoDate = fc
  .date({ noInvalidDate: true })
  .map((d) => d.toISOString())
  .chain((iso) => fc.constantFrom(iso, iso.slice(0, 10), iso.replace('Z', '+14:00')))
/** Opaque tokens shaped like the ones the server hands out (base64url of "date|uuid"), valid or not. */
const opaqueToken = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: isoDate }, { weight: 1, arbitrary: weirdString(12) }),
    fc.oneof({ weight: 3, arbitrary: fc.uuid() }, weirdString(36), fc.constant('-'.repeat(36))),
  )
  .map(([at, id]) => Buffer.from(`${at}|${id}`).toString('base64url'))

/** Strings matching a schema's pattern; a pattern fast-check cannot generate from falls back to hostile text. */
function matching(pattern: string): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(new RegExp(pattern))
  } catch {
    return weirdString(30)
  }
}

function stringFor(schema: JsonSchema, key: string): fc.Arbitrary<string> {
  if (schema.format === 'uuid') return fc.oneof(fc.constantFrom(...knownIds), fc.uuid())
  if (/username/i.test(key)) {
    return fc.oneof(
      fc.constantFrom(...knownUsernames),
      schema.pattern ? matching(schema.pattern) : weirdString(30),
    )
  }
  if (/url|uri/i.test(key)) return fc.oneof(fc.webUrl({ withQueryParameters: true }), weirdString(60))
  if (key === 'before')
    return fc.oneof({ weight: 3, arbitrary: opaqueToken }, { weight: 1, arbitrary: weirdString(40) })
  if (schema.pattern) return matching(schema.pattern)
  const minLength = schema.minLength ?? 0
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 60))
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: weirdUnit }) },
  )
}

/** Values that satisfy a JSON schema (as far as the schema says), mixed with the world's real ids and names. */
function valueFor(schema: JsonSchema, key = ''): fc.Arbitrary<unknown> {
  const options = schema.anyOf ?? schema.oneOf
  if (options) return fc.oneof(...options.map((s) => valueFor(s, key)))
  if (schema.enum) return fc.constantFrom(...schema.enum)
  if ('const' in schema) return fc.constant(schema.const)
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'object': {
      const shape: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [name, s] of Object.entries(schema.properties ?? {})) shape[name] = valueFor(s, name)
      const required = (schema.required ?? []).filter((name) => name in shape)
      return fc.record(shape, { requiredKeys: required as never[] })
    }
    case 'array': {
      const minLength = schema.minItems ?? 0
      return fc.array(valueFor(schema.items ?? {}, key), {
        minLength,
        maxLength: Math.max(minLength, Math.min(schema.maxItems ?? 4, 4)),
      })
    }
    case 'string':
      return stringFor(schema, key)
    case 'integer': {
      const min = schema.minimum ?? -(2 ** 31)
      const max = schema.maximum ?? 2 ** 31 - 1
      return fc.oneof(
        fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }),
        fc.constantFrom(min, max),
      )
    }
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

/** Every place inside a JSON value, as a key path. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix]
  if (Array.isArray(value)) return here.concat(value.flatMap((v, i) => pathsOf(v, [...prefix, i])))
  if (value && typeof value === 'object') {
    return here.concat(Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k])))
  }
  return here
}

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'set'; at: number; value: unknown }
  | { kind: 'add'; at: number; key: string; value: unknown }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: wrongValue }),
  fc.record({
    kind: fc.constant('add' as const),
    at: fc.nat(),
    key: fc.oneof(protoKey, weirdString(10)),
    value: wrongValue,
  }),
)

/** A valid value with exactly one place changed: removed, given a wrong value, or given an extra key. */
function mutate(value: unknown, m: Mutation): unknown {
  const copy = structuredClone(value)
  const paths = pathsOf(copy)
  const path = paths[m.at % paths.length]!
  if (path.length === 0) {
    if (m.kind === 'set') return m.value
    if (m.kind === 'add' && copy && typeof copy === 'object' && !Array.isArray(copy)) {
      return objectWith([...Object.entries(copy), [m.key, m.value]])
    }
    return m.kind === 'delete' ? undefined : copy
  }
  let parent = copy as Record<string | number, unknown>
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>
  const last = path.at(-1)!
  if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1)
    else delete parent[last]
  } else if (m.kind === 'set') {
    parent[last] = m.value
  } else {
    const target = parent[last]
    if (target && typeof target === 'object' && !Array.isArray(target)) {
      parent[last] = objectWith([...Object.entries(target), [m.key, m.value]])
    } else {
      parent[last] = m.value
    }
  }
  return copy
}

const BROKEN_JSON = [
  '{',
  '}',
  '[',
  'nul',
  'tru',
  '{"a":}',
  '{"a" 1}',
  "{'a':1}",
  '{"a":1,}',
  '[1,]',
  'NaN',
  'Infinity',
  '-',
  '01',
  '"\\x41"',
  '"\\ud800"',
  '{"text":"\\u0000"}',
  '\ufeff{}',
  '{"a":1}{"b":2}',
  '/* c */ {}',
  '1e999999',
  '-0',
  'null',
  'true',
  '""',
  '[]',
  '{}',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  '{"a":1,"a":2}',
  `"${HUGE}"`,
  '['.repeat(100_000) + ']'.repeat(100_000),
  `${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}`,
]

const CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json;;;',
  'application/merge-patch+json',
  'application/vnd.api+json',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  '*/*',
  '',
  'json',
]

interface Body {
  payload?: string
  contentType?: string
}

function bodyFor(route: Route): fc.Arbitrary<Body> {
  const schema = route.body ?? { type: 'object' }
  const valid = valueFor(schema)
  const json: fc.Arbitrary<string> = fc.oneof(
    { weight: 4, arbitrary: valid.map((v) => JSON.stringify(v)) },
    { weight: 6, arbitrary: fc.tuple(valid, mutation).map(([v, m]) => JSON.stringify(mutate(v, m)) ?? '') },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    {
      weight: 1,
      arbitrary: valid.map((v) => JSON.stringify(v)).chain((s) => fc.nat(s.length).map((n) => s.slice(0, n))),
    },
    { weight: 1, arbitrary: weirdString(60) },
    { weight: 1, arbitrary: fc.constantFrom(...BROKEN_JSON) },
  )
  const contentType = fc.oneof(
    { weight: 12, arbitrary: fc.constant<string | undefined>('application/json') },
    { weight: 2, arbitrary: fc.constantFrom<string | undefined>(...CONTENT_TYPES, undefined) },
  )
  const withBody = fc.record({ payload: json, contentType })
  const none = fc.oneof(
    fc.constant<Body>({}),
    fc.constant<Body>({ contentType: 'application/json' }),
    fc.constant<Body>({ payload: '', contentType: 'application/json' }),
  )
  const bodyLikely = route.body !== undefined || !['GET', 'HEAD'].includes(route.method)
  return bodyLikely
    ? fc.oneof({ weight: 10, arbitrary: withBody }, { weight: 1, arbitrary: none })
    : fc.oneof({ weight: 10, arbitrary: none }, { weight: 1, arbitrary: withBody })
}

/** Percent-encodes every byte outside RFC 3986 "unreserved": the URL is well-formed, the value is not. */
function encode(value: string): string {
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

function pathValueFor(param: Param): fc.Arbitrary<string> {
  const known = param.schema.format === 'uuid' ? knownIds : [...linkIds, ...knownIds]
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{24}$/) },
    // At most 16 code points: even fully percent-encoded they stay within the router's 200-character limit.
    {
      weight: 3,
      arbitrary: weirdString(16)
        .filter((s) => s.length > 0)
        .map(encode),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '0',
        '-1',
        'null',
        'undefined',
        '%2e%2e',
        '%2F',
        '%00',
        '%20',
        'NaN',
        '%7B%7D',
        knownIds[0]!.toUpperCase(),
        `%7B${knownIds[0]}%7D`,
        knownIds[0]!.replaceAll('-', ''),
        `${knownIds[0]}%00`,
        `${knownIds[0]}%0A`,
        'x'.repeat(200),
      ),
    },
  )
}

function queryFor(route: Route): fc.Arbitrary<string> {
  const pairs = (arb: fc.Arbitrary<[string, string][]>) =>
    arb.map((kv) => (kv.length === 0 ? '' : `?${kv.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`))
  const asText = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))
  const options: fc.Arbitrary<string>[] = [
    fc.constant(''),
    pairs(fc.array(fc.tuple(fc.oneof(protoKey, weirdString(10)), weirdString(20)), { maxLength: 4 })),
    fc.constantFrom(
      '?',
      '?&&',
      '?=',
      '?a',
      '?a[]=1',
      '?a[b]=1',
      '?__proto__[x]=1',
      '?%',
      '?a=%zz',
      '?a=%ED%A0%80',
    ),
  ]
  if (route.queryParams.length > 0) {
    const shape: Record<string, fc.Arbitrary<unknown>> = {}
    for (const p of route.queryParams) shape[p.name] = valueFor(p.schema, p.name)
    const valid = fc.record(shape, { requiredKeys: [] })
    const entries = (o: object) => Object.entries(o).map(([k, v]) => [k, asText(v)] as [string, string])
    options.push(
      pairs(valid.map(entries)),
      pairs(fc.tuple(valid, mutation).map(([v, m]) => entries((mutate(v, m) as object) ?? {}))),
    )
    // The same key twice turns a scalar into an array.
    options.push(
      pairs(
        fc
          .tuple(
            fc.constantFrom(...route.queryParams.map((p) => p.name)),
            fc.array(weirdString(8), { minLength: 2, maxLength: 3 }),
          )
          .map(([k, vs]) => vs.map((v) => [k, v] as [string, string])),
      ),
    )
  }
  return fc.oneof(...options)
}

const idempotencyKey = fc.oneof(
  fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
  fc.constantFrom('', ' ', 'a b', 'x'.repeat(256), 'x'.repeat(255), 'é', '\u00ff\u00fe', '%00', 'key,key'),
)
const OWN_ORIGINS = ['http://localhost:3000', 'http://localhost:80']
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
})

const headers = fc.record({
  'idempotency-key': fc.option(idempotencyKey, { freq: 2 }),
  origin: fc.option(fc.oneof(fc.constantFrom(...OWN_ORIGINS, 'null', 'https://evil.example'), headerValue), {
    freq: 6,
  }),
  'sec-fetch-site': fc.option(fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none', 'x'), {
    freq: 6,
  }),
  'x-request-id': fc.option(headerValue, { freq: 4 }),
  accept: fc.option(fc.constantFrom('text/html', 'application/xml', '*/*', 'application/json;q=0', ''), {
    freq: 4,
  }),
  'accept-language': fc.option(headerValue, { freq: 6 }),
  'content-encoding': fc.option(fc.constantFrom('gzip', 'br', 'identity', 'x'), { freq: 8 }),
  'if-none-match': fc.option(headerValue, { freq: 8 }),
})

type Auth = 'member' | 'stranger' | 'none' | 'junk'
const auth = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Auth>('member') },
  { weight: 2, arbitrary: fc.constant<Auth>('stranger') },
  { weight: 1, arbitrary: fc.constant<Auth>('none') },
  { weight: 1, arbitrary: fc.constant<Auth>('junk') },
)
const junkCookie = fc.oneof(
  headerValue.map((v) => `tandem_session=${v}`),
  fc.constantFrom(
    'tandem_session=',
    'tandem_session',
    '=;;=',
    `tandem_session=${'a'.repeat(101)}`,
    'tandem_session=%E0%A4%A',
    'tandem_session="unterminated',
    'tandem_session=a; tandem_session=b',
  ),
)

interface Sent {
  method: string
  url: string
  headers: Record<string, string>
  payload?: string
  auth: Auth
  junkCookie: string
}

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s)
const describeSent = (s: Sent) =>
  `${s.method} ${clip(s.url, 200)} as ${s.auth} headers=${clip(JSON.stringify(s.headers))}` +
  (s.payload === undefined ? '' : ` payload=${clip(JSON.stringify(s.payload))}`)

function requestFor(route: Route): fc.Arbitrary<Sent> {
  const params: Record<string, fc.Arbitrary<string>> = {}
  for (const p of route.pathParams) params[p.name] = pathValueFor(p)
  const method =
    route.method === 'GET' ? fc.constantFrom('GET', 'GET', 'GET', 'HEAD') : fc.constant(route.method)
  return fc
    .record({
      method,
      params: fc.record(params),
      query: queryFor(route),
      body: bodyFor(route),
      headers,
      auth,
      junkCookie,
    })
    .map((g) => {
      const h: Record<string, string> = {}
      for (const [k, v] of Object.entries(g.headers)) if (v !== null) h[k] = v
      if (g.body.contentType !== undefined) h['content-type'] = g.body.contentType
      const sent: Sent = {
        method: g.method,
        url: route.path.replace(/\{(\w+)\}/g, (_, name: string) => g.params[name] ?? '') + g.query,
        headers: h,
        auth: g.auth,
        junkCookie: g.junkCookie,
        ...(g.body.payload === undefined ? {} : { payload: g.body.payload }),
      }
      // Counterexamples print short, even when the payload is 300 kB.
      Object.defineProperty(sent, fc.toStringMethod, { value: () => describeSent(sent) })
      return sent
    })
}

// ---------------------------------------------------------------------------------------------
// Sending and checking.

const mint = async (user: { id: string }) =>
  `tandem_session=${await startSession(t.db, user.id, { clock: t.clock, ttlDays: t.config.sessionTtlDays })}`
const cookies = { member: await mint(ana), stranger: await mint(cleo) }

/** A state change may have ended the session (logout, login); each run starts with live ones. */
async function refreshSessions(): Promise<void> {
  cookies.member = await mint(ana)
  cookies.stranger = await mint(cleo)
}

function send(s: Sent): Promise<LightMyRequestResponse> {
  const headers = { ...s.headers }
  if (s.auth === 'member') headers.cookie = cookies.member
  if (s.auth === 'stranger') headers.cookie = cookies.stranger
  if (s.auth === 'junk') headers.cookie = s.junkCookie
  return t.app.inject({
    method: s.method as 'GET',
    url: s.url,
    headers,
    ...(s.payload === undefined ? {} : { payload: s.payload }),
  })
}

const describeResponse = (res: LightMyRequestResponse) =>
  `→ ${res.statusCode} ${String(res.headers['content-type'] ?? '')} ${clip(res.body, 500)}`

/** The contract for every answer: never 5xx; every 4xx is `{error: {code, message, details?}}` in JSON. */
function assertWellFormed(method: string, res: LightMyRequestResponse, what: string): void {
  const where = `${what} ${describeResponse(res)}`
  assert.ok(res.statusCode < 500, `SECURITY row 40: the server answered ${res.statusCode}: ${where}`)
  if (res.statusCode < 400 || method === 'HEAD') return
  assert.match(String(res.headers['content-type']), /^application\/json/, `a 4xx that is not JSON: ${where}`)
  let body: unknown
  assert.doesNotThrow(() => {
    body = JSON.parse(res.body)
  }, `a 4xx body that does not parse: ${where}`)
  assert.ok(
    body && typeof body === 'object' && !Array.isArray(body),
    `a 4xx body that is not an object: ${where}`,
  )
  assert.deepEqual(Object.keys(body), ['error'], `a 4xx body not in the {error: {…}} shape: ${where}`)
  const error = (body as { error: Record<string, unknown> }).error
  assert.ok(error && typeof error === 'object', `error is not an object: ${where}`)
  assert.equal(typeof error.code, 'string', `error.code is not a string: ${where}`)
  assert.match(error.code as string, ERROR_CODE_RE, `error.code is not stable snake_case: ${where}`)
  assert.equal(typeof error.message, 'string', `error.message is not a string: ${where}`)
  const extra = Object.keys(error).filter((k) => !ERROR_KEYS.has(k))
  assert.deepEqual(extra, [], `unexpected keys in the error: ${where}`)
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`
const tables = (
  await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'kysely%'
    order by 1`.execute(t.db)
).rows.map((r) => r.name)
const digestQuery = sql.raw(
  `select ${tables
    .map(
      (n) =>
        `(select md5(coalesce(string_agg(x::text, ',' order by x::text), '')) from ${quote(n)} x) as ${quote(n)}`,
    )
    .join(', ')}`,
)

/** A fingerprint of every table's content; buffered clicks are written first so none lands mid-comparison. */
async function digest(): Promise<Record<string, string>> {
  await t.ctx.clicks.flush()
  return (await digestQuery.execute(t.db)).rows[0] as Record<string, string>
}

async function fuzz(arb: fc.Arbitrary<Sent>, runs = RUNS): Promise<void> {
  const property = fc.asyncProperty(arb, async (sent) => {
    const before = await digest()
    const res = await send(sent)
    const what = describeSent(sent)
    assertWellFormed(sent.method, res, what)
    if (res.statusCode >= 400) {
      const after = await digest()
      const changed = tables.filter((n) => after[n] !== before[n])
      assert.deepEqual(
        changed,
        [],
        `a refused request changed the database: ${what} ${describeResponse(res)}`,
      )
    } else if (sent.method !== 'GET' && sent.method !== 'HEAD') {
      await refreshSessions()
    }
  })
  try {
    await fc.assert(property, { seed: SEED, numRuns: runs })
  } catch (error) {
    ;(error as Error).message += `\nRerun with FUZZ_SEED=${SEED} npx node --test test/fuzz.test.ts`
    throw error
  }
}

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
