import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { generateKeyPair } from 'jose'
import * as oidc from 'openid-client'
import { findClientMetadata } from './clients.ts'
import {
  authorizeAsPartner,
  Browser,
  type ListeningTandem,
  makeTestUser,
  oauthError,
  openConsentPage,
  partnerClient,
  postForm,
  redeemCode,
  registerTestPartner,
  signClientAssertion,
  startListeningTandem,
  type TestPartner,
} from './testing.ts'

// SECURITY.md rows about the authorization endpoint, the code and its redemption, client
// authentication, the interaction screens and discovery. The partner is driven by openid-client;
// raw requests only where openid-client refuses to send what the row is about.

type User = Awaited<ReturnType<typeof makeTestUser>>

let t: ListeningTandem
let partner: TestPartner
let other: TestPartner
let user: User
let config: oidc.Configuration
let otherConfig: oidc.Configuration
const VERIFIER = oidc.randomPKCECodeVerifier()
let challenge: string

before(async () => {
  // Many sign-ins in a minute here; the login rate limit is not what these rows are about.
  t = await startListeningTandem({ loginRateLimit: { max: 1000, windowMs: 60_000 } })
  partner = await registerTestPartner(t.db, t.clock.now())
  other = await registerTestPartner(t.db, t.clock.now(), { name: 'Other' })
  user = await makeTestUser(t.db)
  config = await partnerClient(t.origin, partner)
  otherConfig = await partnerClient(t.origin, other)
  challenge = await oidc.calculatePKCECodeChallenge(VERIFIER)
})

after(async () => {
  await t?.close()
})

/** A hand-built authorization request (valid unless a parameter is overridden; undefined drops one). */
function authorizeUrl(params: Record<string, string | undefined> = {}): URL {
  const url = new URL(`${t.origin}/oauth/authorize`)
  const all: Record<string, string | undefined> = {
    client_id: partner.clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: partner.redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'state-1',
    ...params,
  }
  for (const [name, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(name, value)
  return url
}

async function getManual(url: URL | string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { redirect: 'manual', headers })
  return {
    status: res.status,
    location: res.headers.get('location'),
    headers: res.headers,
    text: await res.text(),
  }
}

/** The parameters of an authorization response sent to the partner's redirect URI. */
function responseAt(location: string | null) {
  assert.ok(location, 'expected a redirect')
  const url = new URL(location)
  return { base: `${url.origin}${url.pathname}`, params: url.searchParams }
}

const tokenEndpoint = () => `${t.origin}/oauth/token`

describe('authorization request', () => {
  test('SECURITY row 1: redirect URIs match by exact string; near misses get a 400 page and no Location', async () => {
    const registered = partner.redirectUri
    const host = new URL(registered).host
    const nearMisses = [
      `${registered}/x`,
      `${registered}/`,
      registered.replace('https://', 'HTTPS://').replace(host, host.toUpperCase()),
      `${registered}?x=1`,
      registered.replace('https://', 'https://evil.'),
      registered.replace('/callback', '/CALLBACK'),
    ]
    for (const uri of nearMisses) {
      const res = await getManual(authorizeUrl({ redirect_uri: uri }))
      assert.equal(res.status, 400, uri)
      assert.equal(res.location, null, uri)
      assert.match(res.text, /invalid_redirect_uri/, uri)
    }
    const exact = await getManual(authorizeUrl())
    assert.equal(exact.status, 303)
    assert.match(exact.location ?? '', /^\/oauth\/interaction\//)
  })

  test('SECURITY row 2: an unknown client, or a known client with a foreign redirect URI, gets an error page and no redirect', async () => {
    const unknown = await getManual(authorizeUrl({ client_id: 'no-such-partner' }))
    assert.equal(unknown.status, 400)
    assert.equal(unknown.location, null)
    assert.match(unknown.text, /invalid_client/)
    assert.match(unknown.headers.get('content-type') ?? '', /^text\/html/)

    // Another partner's registered URI is still foreign to this client.
    for (const uri of ['https://attacker.example/callback', other.redirectUri]) {
      const foreign = await getManual(authorizeUrl({ redirect_uri: uri }))
      assert.equal(foreign.status, 400, uri)
      assert.equal(foreign.location, null, uri)
      assert.match(foreign.text, /invalid_redirect_uri/)
    }
    // Even a request that is wrong in other ways too is never sent to the unchecked URI.
    const both = await getManual(
      authorizeUrl({ redirect_uri: 'https://attacker.example/callback', response_type: 'token' }),
    )
    assert.equal(both.status, 400)
    assert.equal(both.location, null)
  })

  test('SECURITY row 3: an http redirect URI (not loopback) is never used for a client registered with https', async () => {
    // The registry's own validator (POST /api/admin/partners → invalid_redirect_uri) belongs to the
    // partner registry module; here the authorization server refuses the downgraded URI itself.
    const http = partner.redirectUri.replace('https://', 'http://')
    const res = await getManual(authorizeUrl({ redirect_uri: http }))
    assert.equal(res.status, 400)
    assert.equal(res.location, null)
    assert.match(res.text, /invalid_redirect_uri/)
  })

  test('SECURITY row 4: PKCE is required for every client (this one is confidential) and only S256 is accepted', async () => {
    const missing = await getManual(
      authorizeUrl({ code_challenge: undefined, code_challenge_method: undefined }),
    )
    assert.equal(missing.status, 303)
    const m = responseAt(missing.location)
    assert.equal(m.base, partner.redirectUri)
    assert.equal(m.params.get('error'), 'invalid_request')
    assert.equal(m.params.get('code'), null)
    assert.equal(m.params.get('state'), 'state-1')

    const plain = await getManual(authorizeUrl({ code_challenge: VERIFIER, code_challenge_method: 'plain' }))
    assert.equal(plain.status, 303)
    const p = responseAt(plain.location)
    assert.equal(p.params.get('error'), 'invalid_request')
    assert.equal(p.params.get('code'), null)

    const methodOnly = await getManual(authorizeUrl({ code_challenge: undefined }))
    assert.equal(responseAt(methodOnly.location).params.get('error'), 'invalid_request')
  })

  test('SECURITY row 8: no implicit or hybrid response types; token-bearing client metadata is refused', async () => {
    for (const responseType of ['token', 'id_token', 'code token', 'code id_token', 'id_token token']) {
      const res = await getManual(authorizeUrl({ response_type: responseType, nonce: 'n-1' }))
      // The client and its redirect URI are valid, so the error goes back to it, never with a token.
      assert.equal(res.status, 303, responseType)
      const location = new URL(res.location ?? '')
      const params = new URLSearchParams(location.hash.slice(1) || location.search)
      assert.equal(params.get('error'), 'unsupported_response_type', responseType)
      for (const name of ['access_token', 'id_token', 'code'])
        assert.equal(params.get(name), null, `${responseType}: ${name}`)
    }
    const metadata = { ...(await findClientMetadata(t.db, partner.clientId)), client_id: partner.clientId }
    await assert.rejects(
      t.provider.Client.validate({ ...metadata, response_types: ['code token'] }),
      (error: { error?: string }) => error.error === 'invalid_client_metadata',
    )
    await assert.rejects(
      t.provider.Client.validate({ ...metadata, grant_types: ['implicit'], response_types: ['id_token'] }),
      (error: { error?: string }) => error.error === 'invalid_client_metadata',
    )
  })

  test('SECURITY row 14: the authorization response carries iss; openid-client refuses a response naming another issuer', async () => {
    const authorization = await authorizeAsPartner(t.origin, config, partner, user, { scope: 'openid' })
    assert.equal(authorization.callback.searchParams.get('iss'), t.origin)
    const forged = new URL(authorization.callback)
    forged.searchParams.set('iss', 'https://attacker.example')
    await assert.rejects(redeemCode(config, { ...authorization, callback: forged }))
    const missing = new URL(authorization.callback)
    missing.searchParams.delete('iss')
    await assert.rejects(redeemCode(config, { ...authorization, callback: missing }))
    // The genuine response still works: the checks above happened before any token request.
    const tokens = await redeemCode(config, authorization)
    assert.ok(tokens.access_token)
  })

  test('SECURITY row 29: no CORS on the authorization endpoint', async () => {
    const preflight = await fetch(authorizeUrl(), {
      method: 'OPTIONS',
      headers: { origin: 'https://attacker.example', 'access-control-request-method': 'GET' },
    })
    assert.equal(preflight.headers.get('access-control-allow-origin'), null)
    assert.equal(preflight.headers.get('access-control-allow-credentials'), null)
    const get = await getManual(authorizeUrl(), { origin: 'https://attacker.example' })
    assert.equal(get.headers.get('access-control-allow-origin'), null)
    // Nor for a partner's own origin: partners call Tandem from their servers.
    const own = await getManual(authorizeUrl(), { origin: new URL(partner.redirectUri).origin })
    assert.equal(own.headers.get('access-control-allow-origin'), null)
  })
})

describe('authorization code', () => {
  test('SECURITY row 5: the code_verifier is enforced: a wrong or missing verifier gets invalid_grant', async () => {
    const authorization = await authorizeAsPartner(t.origin, config, partner, user, { scope: 'openid' })
    const wrong = oidc.randomPKCECodeVerifier()
    assert.deepEqual(await oauthError(redeemCode(config, { ...authorization, verifier: wrong })), {
      status: 400,
      error: 'invalid_grant',
    })
    assert.deepEqual(
      await oauthError(
        oidc.genericGrantRequest(config, 'authorization_code', {
          code: authorization.code,
          redirect_uri: partner.redirectUri,
        }),
      ),
      { status: 400, error: 'invalid_grant' },
    )
    // The failures did not use the code up: the right verifier still redeems it.
    const tokens = await redeemCode(config, authorization)
    assert.ok(tokens.access_token)
  })

  test('SECURITY row 6: no PKCE downgrade: a code without a challenge is never issued, and one presented with a verifier is refused', async () => {
    // An attacker who strips the challenge from the request gets no code at all (row 4's policy).
    const stripped = await getManual(
      authorizeUrl({ code_challenge: undefined, code_challenge_method: undefined }),
    )
    assert.equal(responseAt(stripped.location).params.get('error'), 'invalid_request')

    // A code stored without a challenge (as an older policy might have left one) and redeemed with a
    // code_verifier: the token endpoint must not accept the verifier as if PKCE had been used.
    const first = await authorizeAsPartner(t.origin, config, partner, user, { scope: 'openid' })
    const tokens = await redeemCode(config, first)
    const introspected = await oidc.tokenIntrospection(config, tokens.access_token)
    const grantId = String(introspected.gid)
    const client = await t.provider.Client.find(partner.clientId)
    const code = new t.provider.AuthorizationCode({
      accountId: user.id,
      client,
      grantId,
      redirectUri: partner.redirectUri,
      scope: 'openid',
      authTime: Math.floor(Date.now() / 1000),
    } as never)
    const value = await code.save()
    assert.deepEqual(
      await oauthError(
        oidc.genericGrantRequest(config, 'authorization_code', {
          code: value,
          redirect_uri: partner.redirectUri,
          code_verifier: oidc.randomPKCECodeVerifier(),
        }),
      ),
      { status: 400, error: 'invalid_grant' },
    )
  })

  test('SECURITY row 11: a code older than 60 seconds is refused with invalid_grant', async (ctx) => {
    const browser = new Browser()
    const old = await authorizeAsPartner(t.origin, config, partner, user, { scope: 'openid', browser })
    const young = await authorizeAsPartner(t.origin, config, partner, user, { scope: 'openid', browser })
    // The provider reads time through Date (its own TTL check); storage expiry reads the injected
    // clock. Both move together, as real time would. `young` is at most a few seconds younger.
    ctx.mock.timers.enable({ apis: ['Date'], now: Date.now() })
    ctx.mock.timers.tick(50_000)
    t.clock.advance(50_000)
    const tokens = await redeemCode(config, young)
    assert.ok(tokens.access_token)
    ctx.mock.timers.tick(11_000)
    t.clock.advance(11_000)
    assert.deepEqual(await oauthError(redeemCode(config, old)), { status: 400, error: 'invalid_grant' })
  })

  test('SECURITY row 12: a code is bound to its client and its redirect_uri', async () => {
    const authorization = await authorizeAsPartner(t.origin, config, partner, user, { scope: 'openid' })
    // Another partner, authenticated with its own key, presents the code.
    assert.deepEqual(await oauthError(redeemCode(otherConfig, authorization)), {
      status: 400,
      error: 'invalid_grant',
    })
    // The right client with another redirect_uri, registered or not.
    for (const redirectUri of [other.redirectUri, `${partner.redirectUri}/x`]) {
      assert.deepEqual(
        await oauthError(
          oidc.genericGrantRequest(config, 'authorization_code', {
            code: authorization.code,
            redirect_uri: redirectUri,
            code_verifier: authorization.verifier,
          }),
        ),
        { status: 400, error: 'invalid_grant' },
        redirectUri,
      )
    }
    const tokens = await redeemCode(config, authorization)
    assert.ok(tokens.access_token)
  })
})

describe('client authentication', () => {
  test('SECURITY row 22: the token endpoint needs a private_key_jwt from the registered key; nothing else authenticates a partner', async () => {
    const authorization = await authorizeAsPartner(t.origin, config, partner, user, { scope: 'openid' })
    const grant = {
      grant_type: 'authorization_code',
      code: authorization.code,
      redirect_uri: partner.redirectUri,
      code_verifier: authorization.verifier,
    }
    const noAuth = await postForm(tokenEndpoint(), { ...grant, client_id: partner.clientId })
    assert.equal(noAuth.status, 401)
    assert.equal(noAuth.json?.error, 'invalid_client')

    const secretPost = await postForm(tokenEndpoint(), {
      ...grant,
      client_id: partner.clientId,
      client_secret: 'guessed',
    })
    assert.equal(secretPost.status, 401)
    assert.equal(secretPost.json?.error, 'invalid_client')

    const basic = await postForm(tokenEndpoint(), grant, {
      authorization: `Basic ${Buffer.from(`${partner.clientId}:guessed`).toString('base64')}`,
    })
    assert.equal(basic.status, 401)
    assert.equal(basic.json?.error, 'invalid_client')

    const { privateKey: strangerKey } = await generateKeyPair('ES256')
    const wrongKey = await postForm(tokenEndpoint(), {
      ...grant,
      client_id: partner.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await signClientAssertion(partner, t.origin, strangerKey),
    })
    assert.equal(wrongKey.status, 401)
    assert.equal(wrongKey.json?.error, 'invalid_client')

    // Another partner's valid assertion does not authenticate this one.
    const borrowed = await postForm(tokenEndpoint(), {
      ...grant,
      client_id: partner.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await signClientAssertion(other, t.origin),
    })
    assert.equal(borrowed.status, 400, JSON.stringify(borrowed.json))
    assert.equal(borrowed.json?.error, 'invalid_request')

    // The registered key works, and its assertion cannot be replayed.
    const assertion = await signClientAssertion(partner, t.origin)
    const fields = {
      ...grant,
      client_id: partner.clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }
    const ok = await postForm(tokenEndpoint(), fields)
    assert.equal(ok.status, 200)
    assert.ok(ok.json?.access_token)
    const replayed = await postForm(tokenEndpoint(), fields)
    assert.equal(replayed.status, 401)
    assert.equal(replayed.json?.error, 'invalid_client')

    const discovery = await (await fetch(`${t.origin}/.well-known/openid-configuration`)).json()
    assert.deepEqual(discovery.token_endpoint_auth_methods_supported, ['private_key_jwt'])
  })

  test('SECURITY row 9: no resource owner password grant', async () => {
    assert.deepEqual(
      await oauthError(
        oidc.genericGrantRequest(config, 'password', { username: user.username, password: user.password }),
      ),
      { status: 400, error: 'unsupported_grant_type' },
    )
    const discovery = await (await fetch(`${t.origin}/.well-known/openid-configuration`)).json()
    assert.ok(!discovery.grant_types_supported.includes('password'))
    assert.ok(!discovery.grant_types_supported.includes('implicit'))
  })
})

describe('interaction screens', () => {
  test('SECURITY row 27: credential POSTs answer 303, never 307', async () => {
    const browser = new Browser()
    const host = new URL(t.origin).host
    const { res, url } = await browser.follow(authorizeUrl({ prompt: 'consent' }), host)
    assert.equal(url.host, host)
    const page = await res.text()
    const uid = /\/oauth\/interaction\/([^/"]+)\/login/.exec(page)?.[1]
    assert.ok(uid, 'a login page')

    const failed = await browser.postForm(
      `${t.origin}/oauth/interaction/${uid}/login`,
      [
        ['username', user.username],
        ['password', 'not the password'],
      ],
      t.origin,
    )
    assert.equal(failed.status, 401)
    assert.equal(failed.headers.get('location'), null)
    await failed.text()

    const login = await browser.postForm(
      `${t.origin}/oauth/interaction/${uid}/login`,
      [
        ['username', user.username],
        ['password', user.password],
      ],
      t.origin,
    )
    assert.equal(login.status, 303)
    await login.text()

    const consentPage = await browser.follow(new URL(login.headers.get('location')!, t.origin), host)
    const consentUid = /\/oauth\/interaction\/([^/"]+)\/consent/.exec(await consentPage.res.text())?.[1]
    assert.ok(consentUid, 'a consent page')
    const consent = await browser.postForm(
      `${t.origin}/oauth/interaction/${consentUid}/consent`,
      [['scope', 'openid']],
      t.origin,
    )
    assert.equal(consent.status, 303)
    await consent.text()
  })

  test('SECURITY row 28: the login, consent and error pages refuse framing', async () => {
    const browser = new Browser()
    const host = new URL(t.origin).host
    const login = await browser.follow(authorizeUrl({ prompt: 'consent' }), host)
    await login.res.text()
    const consent = await openConsentPage(browser, t.origin, authorizeUrl({ prompt: 'consent' }), user)
    assert.match(consent.html, /data-scope="openid"/)
    const error = await fetch(authorizeUrl({ client_id: 'no-such-partner' }))
    await error.text()
    for (const [name, res] of [
      ['login', login.res],
      ['consent', consent.res],
      ['error', error],
    ] as const) {
      const csp = res.headers.get('content-security-policy') ?? ''
      assert.match(csp, /(^|;\s*)frame-ancestors 'none'(;|$)/, name)
      assert.equal(res.headers.get('x-frame-options'), 'DENY', name)
    }
  })

  test('SECURITY row 30: the consent page loads nothing from other origins and sends no referrer', async () => {
    const consent = await openConsentPage(new Browser(), t.origin, authorizeUrl({ prompt: 'consent' }), user)
    assert.equal(consent.res.status, 200)
    assert.equal(consent.res.headers.get('referrer-policy'), 'no-referrer')
    // Nothing may be loaded from anywhere but Tandem itself; form-action may name the partner's
    // redirect origin (where the consent form's redirect chain ends), which loads nothing.
    const csp = new Map(
      (consent.res.headers.get('content-security-policy') ?? '')
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...sources]) => [name!, sources]),
    )
    assert.deepEqual(csp.get('default-src'), ["'none'"])
    for (const [directive, sources] of csp) {
      if (directive === 'form-action') continue
      for (const source of sources)
        assert.match(source, /^('none'|'self'|'sha256-[A-Za-z0-9+/=]+'|data:)$/, `${directive} ${source}`)
    }

    const privacyPolicy = `https://${partner.clientId}.example/privacy`
    const references = [...consent.html.matchAll(/<(\w+)\b[^>]*?\s(src|href|action)\s*=\s*"([^"]*)"/gi)]
    assert.ok(references.length > 0)
    for (const [, tag, attribute, value] of references) {
      const url = new URL(value!.replaceAll('&amp;', '&'), t.origin)
      if (url.origin === t.origin) continue
      // The only foreign URL: a plain link to the partner's privacy policy, not a loaded resource.
      assert.equal(tag!.toLowerCase(), 'a', `${tag} ${attribute}=${value}`)
      assert.equal(url.href, privacyPolicy)
    }
    assert.doesNotMatch(
      consent.html,
      /<(script|img|link|iframe|object|embed)\b[^>]*\s(src|href)\s*=\s*"(https?:)?\/\//i,
    )
    assert.match(consent.html, /<meta name="referrer" content="no-referrer">/)
  })

  test('SECURITY row 31: denying consent redirects only to the registered (reviewed) URI, with access_denied', async () => {
    const browser = new Browser()
    const page = await openConsentPage(browser, t.origin, authorizeUrl({ prompt: 'consent' }), user)
    const uid = /\/oauth\/interaction\/([^/"]+)\/abort/.exec(page.html)?.[1]
    assert.ok(uid, 'a consent page with a deny button')
    const denied = await browser.postForm(`${t.origin}/oauth/interaction/${uid}/abort`, [], t.origin)
    assert.equal(denied.status, 303)
    const { res, url } = await browser.follow(
      new URL(denied.headers.get('location')!, t.origin),
      new URL(t.origin).host,
    )
    assert.equal(res.status, 200)
    assert.equal(`${url.origin}${url.pathname}`, partner.redirectUri)
    assert.equal(url.searchParams.get('error'), 'access_denied')
    assert.equal(url.searchParams.get('state'), 'state-1')
    assert.equal(url.searchParams.get('iss'), t.origin)
    assert.equal(url.searchParams.get('code'), null)
    // A request naming an unregistered URI never reaches the screen that could deny it (row 2).
    const foreign = await getManual(authorizeUrl({ redirect_uri: 'https://attacker.example/cb' }))
    assert.equal(foreign.status, 400)
    assert.equal(foreign.location, null)
  })
})

describe('metadata', () => {
  test('SECURITY row 7: discovery publishes code_challenge_methods_supported ["S256"]', async () => {
    const discovery = await (await fetch(`${t.origin}/.well-known/openid-configuration`)).json()
    assert.deepEqual(discovery.code_challenge_methods_supported, ['S256'])
  })

  test('SECURITY row 34: authorization server metadata is published and well-formed', async () => {
    const res = await fetch(`${t.origin}/.well-known/openid-configuration`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    const d = await res.json()
    // RFC 8414 §2 / OIDC Discovery §3: required members, and every endpoint under the issuer.
    assert.equal(d.issuer, t.origin)
    for (const member of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) {
      assert.equal(typeof d[member], 'string', member)
      assert.ok(d[member].startsWith(`${t.origin}/`), member)
    }
    for (const member of [
      'introspection_endpoint',
      'revocation_endpoint',
      'userinfo_endpoint',
      'pushed_authorization_request_endpoint',
    ]) {
      assert.ok(d[member].startsWith(`${t.origin}/oauth/`), member)
    }
    assert.deepEqual(d.response_types_supported, ['code'])
    assert.deepEqual(d.subject_types_supported, ['pairwise'])
    assert.ok(Array.isArray(d.id_token_signing_alg_values_supported))
    assert.equal(d.authorization_response_iss_parameter_supported, true)
    assert.ok(!d.grant_types_supported.includes('implicit'))
    // The published keys are public only.
    const jwks = await (await fetch(d.jwks_uri)).json()
    assert.ok(jwks.keys.length > 0)
    for (const key of jwks.keys) {
      assert.equal(typeof key.kid, 'string')
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(key[secret], undefined)
    }
    // openid-client accepts it as a partner would.
    const discovered = await partnerClient(t.origin, partner)
    assert.equal(discovered.serverMetadata().issuer, t.origin)
  })

  test('SECURITY row 33: in production behind a TLS proxy, discovery lists only https endpoints', async () => {
    const prod = await startListeningTandem({ env: 'production', publicOrigin: 'https://tandem.example' })
    try {
      const res = await fetch(`${prod.origin}/.well-known/openid-configuration`, {
        headers: {
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'tandem.example',
          'x-forwarded-for': '203.0.113.7',
        },
      })
      assert.equal(res.status, 200)
      const d = (await res.json()) as Record<string, unknown>
      assert.equal(d.issuer, 'https://tandem.example')
      const urls = Object.entries(d).filter(([, v]) => typeof v === 'string' && /^[a-z]+:\/\//i.test(v))
      assert.ok(urls.length >= 8)
      for (const [member, value] of urls)
        assert.match(String(value), /^https:\/\/tandem\.example(\/|$)/, member)
    } finally {
      await prod.close()
    }
  })
})
