import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { CompactSign } from 'jose'
import type * as oidc from 'openid-client'
import {
  authorizeAsPartner,
  type ListeningTandem,
  makeTestUser,
  partnerClient,
  redeemCode,
  registerTestPartner,
  startListeningTandem,
  type TestPartner,
} from '../tandem/oauth/testing.ts'
import { createTandemPartnerClient, parseRetryAfter, TandemApiError } from './index.ts'

// The SDK against a real listening Tandem, for the routes that exist (me, activity, deletion
// receipts), and against a local fake fetch for how errors are read.

let t: ListeningTandem
let partner: TestPartner
let config: oidc.Configuration

before(async () => {
  t = await startListeningTandem({ loginRateLimit: { max: 1000, windowMs: 60_000 } })
  partner = await registerTestPartner(t.db, t.clock.now(), { name: 'Marquee' })
  config = await partnerClient(t.origin, partner)
})
after(async () => {
  await t?.close()
})

async function connect(scope: string) {
  const user = await makeTestUser(t.db)
  const authorization = await authorizeAsPartner(t.origin, config, partner, user, {
    scope,
    resource: t.resource,
  })
  const tokens = await redeemCode(config, authorization)
  return { user, token: tokens.access_token }
}

const film = {
  id: 'film-1',
  name: 'Arrival',
  imageUrl: 'https://img.example/1.jpg',
  url: 'https://marquee.example/1',
}

describe('partner SDK against Tandem', () => {
  test('me() and publishActivity() return the typed bodies; the token provider is called per request', async () => {
    const { user, token } = await connect('openid profile activity.publish')
    let calls = 0
    const client = createTandemPartnerClient({
      baseUrl: `${t.origin}/`,
      accessToken: async () => {
        calls += 1
        return token
      },
    })
    const me = await client.me()
    assert.equal(me.name, user.display_name)
    assert.match(me.id, /^[A-Za-z0-9_-]{20,}$/)
    const published = await client.publishActivity({ title: film, kind: 'watching' })
    assert.match(published.id, /^[0-9a-f-]{36}$/)
    assert.equal(calls, 2)
    const stored = await t.db
      .selectFrom('activity_items')
      .select(['id', 'kind'])
      .where('user_id', '=', user.id)
      .execute()
    assert.deepEqual(stored, [{ id: published.id, kind: 'watching' }])
  })

  test('Tandem’s error answers become TandemApiError with status and code', async () => {
    const { token } = await connect('openid profile')
    const client = createTandemPartnerClient({ baseUrl: t.origin, accessToken: () => token })
    const refused = await client.publishActivity({ title: film, kind: 'watching' }).catch((e: unknown) => e)
    assert.ok(refused instanceof TandemApiError)
    assert.equal(refused.status, 403)
    assert.equal(refused.code, 'insufficient_scope')
    assert.equal(refused.message, 'this API needs the activity.publish scope')

    const anonymous = createTandemPartnerClient({ baseUrl: t.origin, accessToken: () => 'not-a-token' })
    const invalid = await anonymous.me().catch((e: unknown) => e)
    assert.ok(invalid instanceof TandemApiError)
    assert.equal(invalid.status, 401)
    assert.equal(invalid.code, 'invalid_token')
  })

  test('submitDeletionReceipt() delivers a signed receipt', async () => {
    const { user, token } = await connect('openid profile')
    const client = createTandemPartnerClient({ baseUrl: t.origin, accessToken: () => token })
    const sub = (await client.me()).id
    const grant = await t.db
      .selectFrom('partner_grants')
      .select('grant_id')
      .where('user_id', '=', user.id)
      .where('client_id', '=', partner.clientId)
      .executeTakeFirstOrThrow()
    const requestId = crypto.randomUUID()
    await t.db
      .insertInto('deletion_requests')
      .values({
        id: requestId,
        grant_id: grant.grant_id,
        user_id: user.id,
        client_id: partner.clientId,
        requested_at: t.clock.now(),
        due_at: new Date(t.clock.now().getTime() + 30 * 86_400_000),
      })
      .execute()
    const claims = {
      iss: partner.clientId,
      aud: t.origin,
      iat: Math.floor(t.clock.now().getTime() / 1000),
      requestId,
      sub,
      deletedAt: t.clock.now().toISOString(),
    }
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'ES256', kid: partner.kid })
      .sign(partner.privateKey)
    const accepted = await client.submitDeletionReceipt(jws)
    assert.equal(accepted.id, requestId)
    assert.equal(typeof accepted.receivedAt, 'string')
    const forged = await client.submitDeletionReceipt(`${jws.slice(0, -4)}AAAA`).catch((e: unknown) => e)
    assert.ok(forged instanceof TandemApiError)
    assert.equal(forged.status, 400)
    assert.equal(forged.code, 'invalid_signature')
  })
})

describe('partner SDK with a fake fetch', () => {
  function fakeFetch(respond: (url: string, init: RequestInit) => Response) {
    const seen: Array<{ url: string; init: RequestInit }> = []
    const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
      seen.push({ url: String(input), init })
      return respond(String(input), init)
    }) as typeof globalThis.fetch
    return { fetch, seen }
  }

  test('error body, code, message, details and Retry-After are parsed', async () => {
    const { fetch } = fakeFetch(
      () =>
        new Response(
          JSON.stringify({
            error: { code: 'daily_cap_reached', message: 'try tomorrow', details: { cap: 50 } },
          }),
          { status: 429, headers: { 'retry-after': '120', 'content-type': 'application/json' } },
        ),
    )
    const client = createTandemPartnerClient({
      baseUrl: 'https://tandem.example',
      accessToken: () => 'tok',
      fetch,
    })
    const error = await client
      .sendRecommendations(
        {
          recipients: ['x'.repeat(43)],
          title: film,
          context: { interface: 'web', surface: 'post_play', variant: 'a' },
        },
        { idempotencyKey: 'k1' },
      )
      .catch((e: unknown) => e)
    assert.ok(error instanceof TandemApiError)
    assert.equal(error.status, 429)
    assert.equal(error.code, 'daily_cap_reached')
    assert.equal(error.message, 'try tomorrow')
    assert.deepEqual(error.details, { cap: 50 })
    assert.equal(error.retryAfter, 120)
  })

  test('non-JSON and RFC 6749 error bodies still give a status and a code', async () => {
    const html = fakeFetch(
      () => new Response('<h1>Bad gateway</h1>', { status: 502, statusText: 'Bad Gateway' }),
    )
    const e1 = await createTandemPartnerClient({
      baseUrl: 'https://t.example',
      accessToken: () => 'x',
      fetch: html.fetch,
    })
      .friends()
      .catch((e: unknown) => e)
    assert.ok(e1 instanceof TandemApiError)
    assert.equal(e1.status, 502)
    assert.equal(e1.code, 'http_502')
    assert.equal(e1.retryAfter, undefined)

    const oauth = fakeFetch(
      () =>
        new Response(JSON.stringify({ error: 'invalid_token', error_description: 'expired' }), {
          status: 401,
        }),
    )
    const e2 = await createTandemPartnerClient({
      baseUrl: 'https://t.example',
      accessToken: () => 'x',
      fetch: oauth.fetch,
    })
      .me()
      .catch((e: unknown) => e)
    assert.ok(e2 instanceof TandemApiError)
    assert.equal(e2.code, 'invalid_token')
    assert.equal(e2.message, 'expired')
  })

  test('requests carry the method, path, token, Idempotency-Key, JSON body and DPoP proof', async () => {
    const { fetch, seen } = fakeFetch(
      () =>
        new Response(JSON.stringify({ sends: [] }), {
          status: 201,
          headers: { 'content-type': 'application/json' },
        }),
    )
    const client = createTandemPartnerClient({
      baseUrl: 'https://tandem.example/',
      accessToken: async () => 'tok',
      dpop: { proof: ({ method, url, accessToken }) => `proof:${method}:${url}:${accessToken}` },
      fetch,
    })
    const recommendation = {
      recipients: ['h_abc'],
      title: film,
      note: 'watch this',
      context: { interface: 'tv', surface: 'browse_row', variant: 'b' } as const,
    }
    assert.deepEqual(await client.sendRecommendations(recommendation, { idempotencyKey: 'idem-1' }), {
      sends: [],
    })
    await client.submitReport('a.b.c')
    const [send, report] = seen
    assert.equal(send!.url, 'https://tandem.example/partner/v1/recommendations')
    assert.equal(send!.init.method, 'POST')
    const headers = send!.init.headers as Record<string, string>
    assert.equal(headers.authorization, 'DPoP tok')
    assert.equal(headers.dpop, 'proof:POST:https://tandem.example/partner/v1/recommendations:tok')
    assert.equal(headers['idempotency-key'], 'idem-1')
    assert.deepEqual(JSON.parse(String(send!.init.body)), recommendation)
    assert.equal(report!.url, 'https://tandem.example/partner/v1/reports')
    assert.equal((report!.init.headers as Record<string, string>)['content-type'], 'application/jose')
    assert.equal(report!.init.body, 'a.b.c')
  })

  test('Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    assert.equal(parseRetryAfter('30', now), 30)
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now), 60)
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0)
    assert.equal(parseRetryAfter(null, now), undefined)
    assert.equal(parseRetryAfter('soon', now), undefined)
  })
})
