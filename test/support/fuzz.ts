// The request fuzzer behind SECURITY.md row 40, for any server here: the routes come from the app's own
// /openapi.json, so a route added later is fuzzed without touching the suites that use this.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { type Kysely, sql } from 'kysely'

/** Rerun a failure with the seed it prints: FUZZ_SEED=<seed> npx node --test <file> */
export const SEED = Number(process.env.FUZZ_SEED ?? 40_2024)
export const RUNS = Number(process.env.FUZZ_RUNS ?? 100)
const ERROR_CODE_RE = /^[a-z][a-z0-9_]*$/
const ERROR_KEYS = new Set(['code', 'message', 'details', 'requestId'])

export interface JsonSchema {
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

export interface Param {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema: JsonSchema
}

export interface Route {
  method: string
  /** OpenAPI form: /api/threads/{id} */
  path: string
  pathParams: Param[]
  queryParams: Param[]
  body: JsonSchema | undefined
}

export type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'set'; at: number; value: unknown }
  | { kind: 'add'; at: number; key: string; value: unknown }

export interface Body {
  payload?: string
  contentType?: string
}

export type Auth = 'member' | 'stranger' | 'none' | 'junk'

export interface Sent {
  method: string
  url: string
  headers: Record<string, string>
  payload?: string
  auth: Auth
  junkCookie: string
}

/** The server under test and the real rows whose ids and names the generators mix into their input. */
export interface FuzzWorld {
  app: { inject(options: InjectOptions): Promise<LightMyRequestResponse> }
  db: Kysely<never>
  /** Path prefixes whose routes are fuzzed. */
  fuzzedPrefixes: string[]
  /** Path prefixes of pages for people, whose errors may be HTML pages rather than JSON. */
  pagePrefixes?: string[]
  knownIds: string[]
  knownUsernames: string[]
  /** Other values path parameters take besides the known ids (link ids, title slugs, tokens). */
  pathValues: string[]
  ownOrigins: string[]
  cookieName: string
  /** Fresh `name=value` session cookies of a member of the world and of a stranger to it. */
  mintCookies(): Promise<{ member: string; stranger: string }>
  /** Writes what the server buffers, so none lands mid-comparison. */
  beforeDigest?: () => Promise<void>
  /** This suite's file, for the rerun hint. */
  file: string
}

export async function createFuzzer(world: FuzzWorld) {
  // Routes, from the OpenAPI document the server publishes.

  const document = await world.app.inject({ method: 'GET', url: '/openapi.json' })
  assert.equal(document.statusCode, 200, `/openapi.json failed: ${document.body}`)
  const openapi = document.json() as {
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
  const fuzzedRoutes = routes.filter((r) => world.fuzzedPrefixes.some((prefix) => r.path.startsWith(prefix)))

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
    if (schema.format === 'uuid') return fc.oneof(fc.constantFrom(...world.knownIds), fc.uuid())
    if (/username/i.test(key)) {
      return fc.oneof(
        fc.constantFrom(...world.knownUsernames),
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

  function bodyFor(route: Route): fc.Arbitrary<Body> {
    const schema = route.body ?? { type: 'object' }
    const valid = valueFor(schema)
    const json: fc.Arbitrary<string> = fc.oneof(
      { weight: 4, arbitrary: valid.map((v) => JSON.stringify(v)) },
      { weight: 6, arbitrary: fc.tuple(valid, mutation).map(([v, m]) => JSON.stringify(mutate(v, m)) ?? '') },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
      {
        weight: 1,
        arbitrary: valid
          .map((v) => JSON.stringify(v))
          .chain((s) => fc.nat(s.length).map((n) => s.slice(0, n))),
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
    const known = param.schema.format === 'uuid' ? world.knownIds : [...world.pathValues, ...world.knownIds]
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
          world.knownIds[0]!.toUpperCase(),
          `%7B${world.knownIds[0]}%7D`,
          world.knownIds[0]!.replaceAll('-', ''),
          `${world.knownIds[0]}%00`,
          `${world.knownIds[0]}%0A`,
          'x'.repeat(200),
        ),
      },
    )
  }

  function queryFor(route: Route): fc.Arbitrary<string> {
    const pairs = (arb: fc.Arbitrary<[string, string][]>) =>
      arb.map((kv) =>
        kv.length === 0 ? '' : `?${kv.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`,
      )
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
  const OWN_ORIGINS = world.ownOrigins
  const headerValue = fc.string({
    unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
    maxLength: 40,
  })

  const headers = fc.record({
    'idempotency-key': fc.option(idempotencyKey, { freq: 2 }),
    origin: fc.option(
      fc.oneof(fc.constantFrom(...OWN_ORIGINS, 'null', 'https://evil.example'), headerValue),
      {
        freq: 6,
      },
    ),
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

  const auth = fc.oneof(
    { weight: 6, arbitrary: fc.constant<Auth>('member') },
    { weight: 2, arbitrary: fc.constant<Auth>('stranger') },
    { weight: 1, arbitrary: fc.constant<Auth>('none') },
    { weight: 1, arbitrary: fc.constant<Auth>('junk') },
  )
  const name = world.cookieName
  const junkCookie = fc.oneof(
    headerValue.map((v) => `${name}=${v}`),
    fc.constantFrom(
      `${name}=`,
      name,
      '=;;=',
      `${name}=${'a'.repeat(101)}`,
      `${name}=%E0%A4%A`,
      `${name}="unterminated`,
      `${name}=a; ${name}=b`,
    ),
  )

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

  const cookies = await world.mintCookies()

  /** A state change may have ended the session (logout, login); each run starts with live ones. */
  async function refreshSessions(): Promise<void> {
    Object.assign(cookies, await world.mintCookies())
  }

  function send(s: Sent): Promise<LightMyRequestResponse> {
    const headers = { ...s.headers }
    if (s.auth === 'member') headers.cookie = cookies.member
    if (s.auth === 'stranger') headers.cookie = cookies.stranger
    if (s.auth === 'junk') headers.cookie = s.junkCookie
    return world.app.inject({
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
    // Pages people open (a tracked link's landing page) answer their errors as pages too.
    const path = (res.raw.req.url ?? '').split('?')[0] ?? ''
    if (
      world.pagePrefixes?.some((prefix) => path.startsWith(prefix)) &&
      /^text\/html/.test(String(res.headers['content-type']))
    ) {
      assert.ok(res.body.length > 0, `an empty error page: ${where}`)
      return
    }
    assert.match(
      String(res.headers['content-type']),
      /^application\/json/,
      `a 4xx that is not JSON: ${where}`,
    )
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
      order by 1`.execute(world.db)
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
    await world.beforeDigest?.()
    return (await digestQuery.execute(world.db)).rows[0] as Record<string, string>
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
      ;(error as Error).message += `\nRerun with FUZZ_SEED=${SEED} npx node --test ${world.file}`
      throw error
    }
  }

  return {
    routes,
    tables,
    digest,
    mutation,
    mutate,
    idempotencyKey,
    clip,
    fuzzedRoutes,
    requestFor,
    fuzz,
    send,
    assertWellFormed,
    describeSent,
    describeResponse,
    auth,
    junkCookie,
    weirdString,
    encode,
  }
}
