import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import {
  type ListeningTandem,
  registerTestPartner,
  startListeningTandem,
  type TestPartner,
} from './testing.ts'

// Bad input to the OAuth endpoints and the OAuth-adjacent routes never makes the server fail (SECURITY.md row 40).
let t: ListeningTandem
let partner: TestPartner
before(async () => {
  t = await startListeningTandem()
  partner = await registerTestPartner(t.db, t.clock.now())
})
after(() => t.close())

const RUNS = 60
const seed = 20261129

const junk = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom(
    '',
    '%00',
    '\u0000',
    '../../etc/passwd',
    'javascript:alert(1)',
    'https://evil.example/cb',
    'S256',
    'plain',
    'x'.repeat(3000),
  ),
)
const params = fc.dictionary(
  fc.constantFrom(
    'client_id',
    'redirect_uri',
    'response_type',
    'scope',
    'state',
    'code_challenge',
    'code_challenge_method',
    'resource',
    'prompt',
    'grant_type',
    'code',
    'code_verifier',
    'refresh_token',
    'token',
    'client_assertion',
    'client_assertion_type',
    'request',
    'nonce',
    '__proto__',
  ),
  junk,
  { maxKeys: 8 },
)

async function expectNoServerError(res: Response, what: string) {
  if (res.status >= 500) assert.fail(`${what} answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
}

describe('fuzzing the OAuth surface', () => {
  test('authorization endpoint (GET) with junk parameters', async () => {
    await fc.assert(
      fc.asyncProperty(params, fc.boolean(), async (p, withClient) => {
        const query = new URLSearchParams(p as Record<string, string>)
        if (withClient) query.set('client_id', partner.clientId)
        const res = await fetch(`${t.origin}/oauth/authorize?${query}`, { redirect: 'manual' })
        await expectNoServerError(res, 'GET /oauth/authorize')
      }),
      { numRuns: RUNS, seed },
    )
  })

  test('token, revocation, introspection and PAR endpoints with junk forms', async () => {
    await fc.assert(
      fc.asyncProperty(
        params,
        fc.constantFrom('token', 'revoke', 'introspect', 'par'),
        fc.boolean(),
        async (p, endpoint, asJson) => {
          const res = await fetch(`${t.origin}/oauth/${endpoint}`, {
            method: 'POST',
            headers: { 'content-type': asJson ? 'application/json' : 'application/x-www-form-urlencoded' },
            body: asJson ? JSON.stringify(p) : new URLSearchParams(p as Record<string, string>).toString(),
          })
          await expectNoServerError(res, `POST /oauth/${endpoint}`)
        },
      ),
      { numRuns: RUNS, seed },
    )
  })

  test('interaction screens with unknown uids and junk forms', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 80 }).map(encodeURIComponent),
        fc.constantFrom('', '/login', '/consent', '/abort'),
        params,
        async (uid, action, p) => {
          const url = `${t.origin}/oauth/interaction/${uid}${action}`
          const res = action
            ? await fetch(url, {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded', origin: t.origin },
                body: new URLSearchParams(p as Record<string, string>).toString(),
                redirect: 'manual',
              })
            : await fetch(url, { redirect: 'manual' })
          await expectNoServerError(res, `${action ? 'POST' : 'GET'} ${url}`)
        },
      ),
      { numRuns: RUNS, seed },
    )
  })

  test('partner API with junk credentials and deletion receipts with junk bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        junk,
        fc.constantFrom('Bearer', 'DPoP', 'Basic', ''),
        junk,
        async (token, scheme, dpop) => {
          const res = await fetch(`${t.origin}/partner/v1/me`, {
            headers: {
              authorization: `${scheme} ${token}`.trim().replace(/[^\t\x20-\x7e]/g, ''),
              dpop: dpop.replace(/[^\t\x20-\x7e]/g, ''),
            },
          })
          await expectNoServerError(res, 'GET /partner/v1/me')
          assert.ok([400, 401, 403].includes(res.status))
        },
      ),
      { numRuns: RUNS, seed },
    )
    await fc.assert(
      fc.asyncProperty(fc.oneof(junk, fc.json()), async (receipt) => {
        const res = await fetch(`${t.origin}/partner/v1/deletion-receipts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ receipt }),
        })
        await expectNoServerError(res, 'POST /partner/v1/deletion-receipts')
        const body = (await res.json()) as { error?: { code?: string } }
        assert.match(body.error?.code ?? '', /^[a-z][a-z0-9_]*$/)
      }),
      { numRuns: RUNS, seed },
    )
  })
})
