import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { decodeJwt, exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose'
import * as oidc from 'openid-client'
import { createPartnerGuard } from '../partner-api/guard.ts'
import { loadServerSecrets, publicJwks } from './server-secrets.ts'
import {
  authorizeAsPartner,
  Browser,
  callPartnerApi,
  type ListeningTandem,
  makeTestUser,
  oauthError,
  offeredScopes,
  openConsentPage,
  partnerClient,
  redeemCode,
  registerTestPartner,
  startListeningTandem,
  type TestPartner,
} from './testing.ts'

// SECURITY.md rows about the resource server at /partner/v1: audience (19), least privilege (20),
// sender-constrained tokens (21), and revocation and agreement lapse on the next call (46).

const FRIENDS_ROUTE = '/partner/v1/test-friends'
const ALL = 'openid offline_access recommendations.send friends.app'

let t: ListeningTandem
let partner: TestPartner
let config: oidc.Configuration
let signingKey: JWK

before(async () => {
  t = await startListeningTandem(
    {
      loginRateLimit: { max: 1000, windowMs: 60_000 },
      // Long-lived access tokens, so moving the injected clock to lapse an agreement leaves them valid.
      oauth: { accessTokenTtlSeconds: 3600, refreshTokenIdleDays: 30 },
    },
    {
      // A read route that needs friends.app, behind the real guard (the partner API has no such route yet).
      beforeListen: async (built) => {
        const secrets = await loadServerSecrets(built.ctx.db, built.ctx.secrets, built.ctx.clock.now())
        signingKey = secrets.signingKeys[0] as JWK
        const requirePartner = createPartnerGuard(built.ctx, built.provider, publicJwks(secrets))
        built.app.get(
          FRIENDS_ROUTE,
          { preHandler: requirePartner({ subject: 'user', scope: 'friends.app' }) },
          async (req) => ({ sub: req.partner?.sub }),
        )
      },
    },
  )
  partner = await registerTestPartner(t.db, t.clock.now())
  config = await partnerClient(t.origin, partner)
})

after(async () => {
  await t?.close()
})

const me = (authorization: string, headers: Record<string, string> = {}) =>
  callPartnerApi(t.origin, '/partner/v1/me', authorization, { headers })
const friends = (token: string) => callPartnerApi(t.origin, FRIENDS_ROUTE, `Bearer ${token}`)

function assertError(
  res: { status: number; body: { error?: { code: string } } },
  status: number,
  code: string,
) {
  assert.equal(res.status, status, JSON.stringify(res.body))
  assert.equal(res.body.error?.code, code)
  assert.equal(typeof (res.body.error as { message?: unknown }).message, 'string')
}

async function connect(
  scope: string,
  options: { grant?: string[]; p?: TestPartner; c?: oidc.Configuration; DPoP?: oidc.DPoPHandle } = {},
) {
  const p = options.p ?? partner
  const c = options.c ?? config
  const user = await makeTestUser(t.db)
  const browser = new Browser()
  const authorization = await authorizeAsPartner(t.origin, c, p, user, {
    scope,
    resource: t.resource,
    browser,
    ...(options.grant ? { grant: options.grant } : {}),
  })
  const tokens = await redeemCode(c, authorization, options.DPoP ? { DPoP: options.DPoP } : undefined)
  return { user, browser, authorization, tokens }
}

describe('audience', () => {
  test('SECURITY row 19: tokens for another audience or issuer, or signed by another key, are refused; unknown resources get invalid_target', async () => {
    const { tokens } = await connect(ALL)
    const claims = decodeJwt(tokens.access_token)
    assert.equal(claims.aud, t.resource)
    const tandemKey = await importJWK(signingKey, 'ES256')
    const mint = (payload: JWTPayload, key: CryptoKey | Uint8Array = tandemKey as CryptoKey) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: String(signingKey.kid) })
        .sign(key)

    // The minting is faithful: the same claims under Tandem's key pass.
    assert.equal((await me(`Bearer ${await mint(claims)}`)).status, 200)

    for (const aud of [
      'https://api.example/messaging',
      `${t.origin}/partner/v2`,
      t.origin,
      [`${t.origin}/api`],
    ]) {
      const res = await me(`Bearer ${await mint({ ...claims, aud })}`)
      assertError(res, 401, 'invalid_token')
    }
    assertError(
      await me(`Bearer ${await mint({ ...claims, iss: 'https://attacker.example' })}`),
      401,
      'invalid_token',
    )
    const { privateKey: stranger } = await generateKeyPair('ES256')
    assertError(await me(`Bearer ${await mint(claims, stranger)}`), 401, 'invalid_token')
    // An ID token is signed by the same key but meant for the partner itself.
    assertError(await me(`Bearer ${tokens.id_token}`), 401, 'invalid_token')
    // An opaque token (for userinfo) is not a partner API token.
    const opaque = await redeemCode(
      config,
      await authorizeAsPartner(t.origin, config, partner, await makeTestUser(t.db), {
        scope: 'openid profile',
      }),
    )
    assertError(await me(`Bearer ${opaque.access_token}`), 401, 'invalid_token')
    const challenge = await fetch(`${t.origin}/partner/v1/me`, {
      headers: { authorization: `Bearer ${await mint({ ...claims, aud: 'https://api.example/messaging' })}` },
    })
    assert.match(challenge.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/)
    await challenge.text()

    // Unknown resources, at the authorization endpoint and at the token endpoint.
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: partner.redirectUri,
      scope: 'openid recommendations.send',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 'state-19',
      resource: 'https://api.example/messaging',
    })
    const refused = await fetch(url, { redirect: 'manual' })
    const location = new URL(refused.headers.get('location') ?? '')
    assert.equal(`${location.origin}${location.pathname}`, partner.redirectUri)
    assert.equal(location.searchParams.get('error'), 'invalid_target')
    assert.equal(location.searchParams.get('code'), null)
    assert.deepEqual(
      await oauthError(
        oidc.clientCredentialsGrant(config, {
          scope: 'reports.submit',
          resource: 'https://api.example/messaging',
        }),
      ),
      { status: 400, error: 'invalid_target' },
    )
  })
})

describe('least privilege', () => {
  test('SECURITY row 20: each route checks its own scope; a token without it gets 403 insufficient_scope', async () => {
    // The partner asks for both; the person allows only recommendations.
    const narrow = await connect(ALL, { grant: ['openid', 'offline_access', 'recommendations.send'] })
    assert.equal(decodeJwt(narrow.tokens.access_token).scope, 'recommendations.send')
    const refused = await fetch(`${t.origin}${FRIENDS_ROUTE}`, {
      headers: { authorization: `Bearer ${narrow.tokens.access_token}` },
    })
    assert.equal(refused.status, 403)
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'insufficient_scope')
    assert.match(
      refused.headers.get('www-authenticate') ?? '',
      /error="insufficient_scope", scope="friends.app"/,
    )
    // The same token still does what it may.
    assert.equal((await me(`Bearer ${narrow.tokens.access_token}`)).status, 200)

    const wide = await connect(ALL)
    assert.equal((await friends(wide.tokens.access_token)).status, 200)

    // A client-credentials token, even with a scope, never acts for a user.
    const cc = await oidc.clientCredentialsGrant(config, { scope: 'reports.submit' })
    assertError(await friends(cc.access_token), 403, 'user_token_required')
  })
})

describe('sender-constrained tokens', () => {
  test('SECURITY row 21: a DPoP-bound partner must prove its key on every call', async () => {
    const dpopPartner = await registerTestPartner(t.db, t.clock.now(), { dpop: true, name: 'Bound' })
    const dpopConfig = await partnerClient(t.origin, dpopPartner)
    const keyPair = await oidc.randomDPoPKeyPair('ES256')
    const DPoP = oidc.getDPoPHandle(dpopConfig, keyPair)

    // Without a proof the token endpoint refuses (and the code stays usable).
    const user = await makeTestUser(t.db)
    const authorization = await authorizeAsPartner(t.origin, dpopConfig, dpopPartner, user, {
      scope: ALL,
      resource: t.resource,
    })
    assert.deepEqual(await oauthError(redeemCode(dpopConfig, authorization)), {
      status: 400,
      error: 'invalid_grant',
    })
    const tokens = await redeemCode(dpopConfig, authorization, { DPoP })
    assert.equal(tokens.token_type.toLowerCase(), 'dpop')
    const at = tokens.access_token
    const jkt = (decodeJwt(at).cnf as { jkt?: string } | undefined)?.jkt
    assert.ok(jkt, 'the token is bound to the key')

    // The guard judges proof freshness by the injected clock; bring it to now.
    t.clock.set(new Date())
    const meUrl = `${t.origin}/partner/v1/me`
    const ok = await oidc.fetchProtectedResource(
      dpopConfig,
      at,
      new URL(meUrl),
      'GET',
      undefined,
      undefined,
      {
        DPoP,
      },
    )
    assert.equal(ok.status, 200)
    await ok.text()

    const ath = createHash('sha256').update(at).digest('base64url')
    const proof = (claims: Record<string, unknown>, key: CryptoKeyPair = keyPair) =>
      dpopProof(key, { htm: 'GET', htu: meUrl, ath, ...claims })
    const withProof = async (p: string, scheme = 'DPoP') => me(`${scheme} ${at}`, { dpop: p })

    // A hand-made proof like openid-client's passes (so the refusals below are about their one flaw).
    assert.equal((await withProof(await proof({}))).status, 200)

    const bearer = await fetch(meUrl, { headers: { authorization: `Bearer ${at}` } })
    assert.equal(bearer.status, 401)
    assert.match(bearer.headers.get('www-authenticate') ?? '', /^DPoP error="invalid_token"/)
    await bearer.text()
    assertError(await me(`Bearer ${at}`, { dpop: await proof({}) }), 401, 'invalid_token')
    assertError(await me(`DPoP ${at}`), 401, 'invalid_token')

    const otherKey = await oidc.randomDPoPKeyPair('ES256')
    assertError(await withProof(await proof({}, otherKey)), 401, 'invalid_token')
    assertError(await withProof(await proof({ htm: 'POST' })), 401, 'invalid_token')
    assertError(await withProof(await proof({ htu: `${t.origin}${FRIENDS_ROUTE}` })), 401, 'invalid_token')
    assertError(
      await withProof(await proof({ htu: `https://attacker.example/partner/v1/me` })),
      401,
      'invalid_token',
    )
    assertError(await withProof(await proof({ ath: undefined })), 401, 'invalid_token')
    assertError(
      await withProof(await proof({ ath: createHash('sha256').update('another token').digest('base64url') })),
      401,
      'invalid_token',
    )
    assertError(
      await withProof(await proof({ iat: Math.floor(t.clock.now().getTime() / 1000) - 600 })),
      401,
      'invalid_token',
    )

    const once = await proof({})
    assert.equal((await withProof(once)).status, 200)
    assertError(await withProof(once), 401, 'invalid_token')
  })
})

describe('revocation and agreement lapse', () => {
  test('SECURITY row 46: revocation holds on the very next call; an ended agreement within a second; the consent screen stops offering it', async (ctx) => {
    // Revocation: time stands still, so no cache can expire between the revocation and the call.
    const revoked = await connect(ALL)
    ctx.mock.timers.enable({ apis: ['Date'], now: Date.now() })
    assert.equal((await me(`Bearer ${revoked.tokens.access_token}`)).status, 200)
    await oidc.tokenRevocation(config, revoked.tokens.refresh_token!)
    assertError(await me(`Bearer ${revoked.tokens.access_token}`), 401, 'invalid_token')

    // Agreement ended by an administrator: the guard may trust its cached state for one second at most.
    const ended = await registerTestPartner(t.db, t.clock.now(), {
      apis: ['inbox', 'friends'],
      name: 'Ended',
    })
    const endedConfig = await partnerClient(t.origin, ended)
    ctx.mock.timers.reset()
    const before = await openConsentPage(
      new Browser(),
      t.origin,
      authorizeUrl(ended, endedConfig),
      await makeTestUser(t.db),
    )
    assert.deepEqual(offeredScopes(before.html).sort(), [
      'friends.app',
      'offline_access',
      'openid',
      'recommendations.send',
    ])
    const live = await connect(ALL, { p: ended, c: endedConfig })
    ctx.mock.timers.enable({ apis: ['Date'], now: Date.now() })
    assert.equal((await friends(live.tokens.access_token)).status, 200)
    await t.db
      .updateTable('agreements')
      .set({ ended_at: t.clock.now() })
      .where('client_id', '=', ended.clientId)
      .where('api', '=', 'friends')
      .execute()
    ctx.mock.timers.tick(1_000)
    assertError(await friends(live.tokens.access_token), 403, 'agreement_inactive')
    ctx.mock.timers.reset()
    // What the agreement still covers keeps working.
    assert.equal((await me(`Bearer ${live.tokens.access_token}`)).status, 200)
    // No longer issuable: a refreshed token leaves the scope out, and the consent screen does not offer it.
    const refreshed = await oidc.refreshTokenGrant(endedConfig, live.tokens.refresh_token!)
    assert.equal(decodeJwt(refreshed.access_token).scope, 'recommendations.send')
    const afterEnd = await openConsentPage(
      new Browser(),
      t.origin,
      authorizeUrl(ended, endedConfig),
      await makeTestUser(t.db),
    )
    assert.deepEqual(offeredScopes(afterEnd.html).sort(), [
      'offline_access',
      'openid',
      'recommendations.send',
    ])

    // Agreement lapsed by time (valid_until passes; nobody is told): a bounded poll in real time.
    const lapsing = await registerTestPartner(t.db, t.clock.now(), {
      apis: ['friends'],
      validUntil: new Date(t.clock.now().getTime() + 10 * 60_000),
      name: 'Lapsing',
    })
    const lapsingConfig = await partnerClient(t.origin, lapsing)
    const lapsingToken = (await connect(ALL, { p: lapsing, c: lapsingConfig })).tokens.access_token
    assert.equal((await friends(lapsingToken)).status, 200)
    t.clock.advance(11 * 60_000)
    try {
      let res = await friends(lapsingToken)
      for (let i = 0; i < 50 && res.status === 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        res = await friends(lapsingToken)
      }
      assertError(res, 403, 'agreement_inactive')
      const lapsed = await openConsentPage(
        new Browser(),
        t.origin,
        authorizeUrl(lapsing, lapsingConfig),
        await makeTestUser(t.db),
      )
      assert.deepEqual(offeredScopes(lapsed.html).sort(), ['offline_access', 'openid'])
    } finally {
      t.clock.advance(-11 * 60_000)
    }
  })
})

function authorizeUrl(p: TestPartner, c: oidc.Configuration): URL {
  return oidc.buildAuthorizationUrl(c, {
    redirect_uri: p.redirectUri,
    scope: ALL,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state: 'state-46',
    resource: t.resource,
    prompt: 'consent',
  })
}

/** A DPoP proof (RFC 9449 §4.2) built by hand; `undefined` claims are left out. */
async function dpopProof(key: CryptoKeyPair, claims: Record<string, unknown>) {
  const payload: Record<string, unknown> = { jti: randomUUID(), iat: Math.floor(Date.now() / 1000) }
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) delete payload[name]
    else payload[name] = value
  }
  return new SignJWT(payload)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: await exportJWK(key.publicKey) })
    .sign(key.privateKey)
}
