import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodeJwt } from 'jose'
import { sql } from 'kysely'
import * as oidc from 'openid-client'
import type { Db } from '../db.ts'
import { rotateWebhookSecret } from '../webhooks/webhooks.service.ts'
import {
  authorizeAsPartner,
  Browser,
  callPartnerApi,
  type ListeningTandem,
  makeTestUser,
  oauthError,
  partnerClient,
  postForm,
  redeemCode,
  registerTestPartner,
  startListeningTandem,
  type TestPartner,
} from './testing.ts'

// SECURITY.md rows about issued tokens: one-time codes, refresh rotation and reuse, scope and
// resource binding, idle expiry, storage, entropy, revocation, introspection, subjects and consent.

type User = Awaited<ReturnType<typeof makeTestUser>>

const PARTNER_SCOPES = 'openid profile offline_access recommendations.send friends.app'

let t: ListeningTandem
let partner: TestPartner
let other: TestPartner
let config: oidc.Configuration
let otherConfig: oidc.Configuration

before(async () => {
  t = await startListeningTandem({ loginRateLimit: { max: 1000, windowMs: 60_000 } })
  partner = await registerTestPartner(t.db, t.clock.now())
  other = await registerTestPartner(t.db, t.clock.now(), { name: 'Other' })
  config = await partnerClient(t.origin, partner)
  otherConfig = await partnerClient(t.origin, other)
})

after(async () => {
  await t?.close()
})

const me = (token: string) => callPartnerApi(t.origin, '/partner/v1/me', `Bearer ${token}`)

async function assertRefusedByPartnerApi(token: string, message?: string) {
  const res = await me(token)
  assert.equal(res.status, 401, message)
  assert.equal(res.body.error?.code, 'invalid_token', message)
}

const introspect = (token: string, as = config) => oidc.tokenIntrospection(as, token)

/** A user, a browser signed in as them, and one authorization of `scope` redeemed by the partner. */
async function connected(scope: string, options: { resource?: string; user?: User; browser?: Browser } = {}) {
  const user = options.user ?? (await makeTestUser(t.db))
  const browser = options.browser ?? new Browser()
  const authorization = await authorizeAsPartner(t.origin, config, partner, user, {
    scope,
    browser,
    ...(options.resource ? { resource: options.resource } : {}),
  })
  const tokens = await redeemCode(config, authorization)
  return { user, browser, authorization, tokens }
}

describe('authorization codes and refresh tokens', () => {
  test('SECURITY row 10: a code redeemed twice gets invalid_grant and revokes what the first redemption issued', async () => {
    // JWT access token for the partner API, with a refresh token.
    const { authorization, tokens } = await connected(PARTNER_SCOPES, { resource: t.resource })
    assert.equal((await me(tokens.access_token)).status, 200)
    assert.equal((await introspect(tokens.refresh_token!)).active, true)
    assert.deepEqual(await oauthError(redeemCode(config, authorization)), {
      status: 400,
      error: 'invalid_grant',
    })
    assert.deepEqual(await introspect(tokens.refresh_token!), { active: false })
    assert.deepEqual(await oauthError(oidc.refreshTokenGrant(config, tokens.refresh_token!)), {
      status: 400,
      error: 'invalid_grant',
    })
    // The JWT is not stored, so introspection cannot see it: the resource server refuses it.
    await assertRefusedByPartnerApi(tokens.access_token)

    // An opaque access token (OIDC scopes only: for userinfo), visible to introspection.
    const opaque = await connected('openid profile')
    assert.equal(opaque.tokens.access_token.split('.').length, 1, 'an opaque token')
    assert.equal((await introspect(opaque.tokens.access_token)).active, true)
    await oidc.fetchUserInfo(config, opaque.tokens.access_token, oidc.skipSubjectCheck)
    assert.deepEqual(await oauthError(redeemCode(config, opaque.authorization)), {
      status: 400,
      error: 'invalid_grant',
    })
    assert.deepEqual(await introspect(opaque.tokens.access_token), { active: false })
    await assert.rejects(oidc.fetchUserInfo(config, opaque.tokens.access_token, oidc.skipSubjectCheck))

    // Redemptions racing each other: at most one wins, and the reuse still revokes it.
    const user = await makeTestUser(t.db)
    const raced = await authorizeAsPartner(t.origin, config, partner, user, {
      scope: PARTNER_SCOPES,
      resource: t.resource,
    })
    const results = await Promise.allSettled([0, 1, 2].map(() => redeemCode(config, raced)))
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    assert.ok(won.length <= 1, `${won.length} redemptions of one code succeeded`)
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as oidc.ResponseBodyError).error, 'invalid_grant')
    }
    for (const w of won) {
      assert.deepEqual(await introspect(w.refresh_token!), { active: false })
      await assertRefusedByPartnerApi(w.access_token)
    }
  })

  test('SECURITY row 15: refresh tokens rotate; presenting a rotated one revokes the whole grant', async () => {
    const { tokens } = await connected(PARTNER_SCOPES, { resource: t.resource })
    const rt1 = tokens.refresh_token!
    const second = await oidc.refreshTokenGrant(config, rt1)
    const rt2 = second.refresh_token!
    assert.ok(rt2)
    assert.notEqual(rt2, rt1)
    assert.deepEqual(await introspect(rt1), { active: false })
    assert.equal((await introspect(rt2)).active, true)
    assert.equal((await me(second.access_token)).status, 200)

    assert.deepEqual(await oauthError(oidc.refreshTokenGrant(config, rt1)), {
      status: 400,
      error: 'invalid_grant',
    })
    assert.deepEqual(await introspect(rt2), { active: false })
    assert.deepEqual(await oauthError(oidc.refreshTokenGrant(config, rt2)), {
      status: 400,
      error: 'invalid_grant',
    })
    await assertRefusedByPartnerApi(second.access_token)
    await assertRefusedByPartnerApi(tokens.access_token)

    // The same with opaque access tokens, which introspection can show.
    const opaque = await connected('openid profile offline_access')
    const next = await oidc.refreshTokenGrant(config, opaque.tokens.refresh_token!)
    assert.equal((await introspect(next.access_token)).active, true)
    await oauthError(oidc.refreshTokenGrant(config, opaque.tokens.refresh_token!))
    assert.deepEqual(await introspect(next.access_token), { active: false })
    assert.deepEqual(await introspect(next.refresh_token!), { active: false })
    assert.deepEqual(await introspect(opaque.tokens.access_token), { active: false })

    // Refreshes racing each other with one token: at most one rotation wins, and the reuse revokes it.
    const raced = await connected(PARTNER_SCOPES, { resource: t.resource })
    const results = await Promise.allSettled(
      [0, 1, 2].map(() => oidc.refreshTokenGrant(config, raced.tokens.refresh_token!)),
    )
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    assert.ok(won.length <= 1, `${won.length} refreshes with one token succeeded`)
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as oidc.ResponseBodyError).error, 'invalid_grant')
    }
    for (const w of won) {
      assert.deepEqual(await introspect(w.refresh_token!), { active: false })
      await assertRefusedByPartnerApi(w.access_token)
    }
  })

  test('SECURITY row 16: a refresh token is bound to its client and its consented scopes and resource', async () => {
    const { tokens } = await connected('openid offline_access recommendations.send', { resource: t.resource })
    const rt = tokens.refresh_token!
    // Another partner presenting it.
    assert.deepEqual(await oauthError(oidc.refreshTokenGrant(otherConfig, rt)), {
      status: 400,
      error: 'invalid_grant',
    })
    // Widening the scope, with a partner scope or an OIDC one.
    for (const scope of ['openid recommendations.send friends.app', 'openid profile']) {
      assert.deepEqual(
        await oauthError(oidc.refreshTokenGrant(config, rt, { scope })),
        { status: 400, error: 'invalid_scope' },
        scope,
      )
    }
    // Narrowing is allowed, and the failures above did not use the token up.
    const narrowed = await oidc.refreshTokenGrant(config, rt, { scope: 'recommendations.send' })
    assert.equal(decodeJwt(narrowed.access_token).scope, 'recommendations.send')
    assert.equal(decodeJwt(narrowed.access_token).aud, t.resource)
    // Another resource (the provider rotates before it resolves the resource, so this comes last).
    assert.deepEqual(
      await oauthError(
        oidc.refreshTokenGrant(config, narrowed.refresh_token!, {
          resource: 'https://api.example/messaging',
        }),
      ),
      { status: 400, error: 'invalid_target' },
    )
  })

  test('SECURITY row 17: a refresh token only for offline_access requested with prompt=consent and consented', async () => {
    const user = await makeTestUser(t.db)
    const browser = new Browser()
    const redeem = async (scope: string, options: { prompt?: string | undefined; grant?: string[] } = {}) =>
      redeemCode(
        config,
        await authorizeAsPartner(t.origin, config, partner, user, { scope, browser, ...options }),
      )

    const noOffline = await redeem('openid recommendations.send')
    assert.equal(noOffline.refresh_token, undefined)

    const noPrompt = await redeem('openid offline_access recommendations.send', { prompt: undefined })
    assert.equal(noPrompt.refresh_token, undefined)

    const unticked = await redeem('openid offline_access recommendations.send', {
      grant: ['openid', 'recommendations.send'],
    })
    assert.equal(unticked.refresh_token, undefined)

    // A scope unticked once is remembered as refused, so the positive case needs a fresh person.
    const fresh = await makeTestUser(t.db)
    const consented = await redeemCode(
      config,
      await authorizeAsPartner(t.origin, config, partner, fresh, {
        scope: 'openid offline_access recommendations.send',
      }),
    )
    assert.ok(consented.refresh_token)
  })
})

describe('storage and values', () => {
  test('SECURITY row 23: no issued token, code, assertion, session cookie or secret is stored in clear', async () => {
    const seen = new Set<string>()
    const remember = (value: unknown) => {
      if (typeof value === 'string' && value.length >= 16) seen.add(value)
    }
    const secretFields = new Set([
      'code',
      'code_verifier',
      'refresh_token',
      'token',
      'client_assertion',
      'access_token',
      'id_token',
    ])
    const rememberFields = (fields: Iterable<[string, unknown]>) => {
      for (const [name, value] of fields) if (secretFields.has(name)) remember(value)
    }
    // Every credential the partner sends and receives, as openid-client puts it on the wire.
    const recording = await partnerClient(t.origin, partner)
    recording[oidc.customFetch] = async (url, options) => {
      const body = options.body
      if (typeof body === 'string') rememberFields(new URLSearchParams(body))
      else if (body instanceof URLSearchParams) rememberFields(body)
      const authorization = new Headers(options.headers).get('authorization')
      if (authorization) remember(authorization.replace(/^\w+ /, ''))
      const res = await fetch(url, options as RequestInit)
      try {
        rememberFields(Object.entries(JSON.parse(await res.clone().text()) as Record<string, unknown>))
      } catch {}
      return res
    }
    const user = await makeTestUser(t.db)
    const browser = new Browser()
    const authorization = await authorizeAsPartner(t.origin, recording, partner, user, {
      scope: PARTNER_SCOPES,
      resource: t.resource,
      browser,
    })
    remember(authorization.code)
    remember(authorization.verifier)
    const first = await redeemCode(recording, authorization)
    const second = await oidc.refreshTokenGrant(recording, first.refresh_token!)
    await oidc.refreshTokenGrant(recording, second.refresh_token!)
    await oidc.clientCredentialsGrant(recording, { scope: 'reports.submit' })
    const opaque = await authorizeAsPartner(t.origin, recording, partner, user, {
      scope: 'openid profile offline_access',
      browser,
    })
    const opaqueTokens = await redeemCode(recording, opaque)
    await oidc.tokenIntrospection(recording, opaqueTokens.access_token)
    await oidc.fetchUserInfo(recording, opaqueTokens.access_token, oidc.skipSubjectCheck)
    const jar = browser.cookies(new URL(t.origin).host)
    for (const name of ['_session', '_interaction', 'tandem_session'])
      assert.ok(jar.has(name), `the browser holds ${name}`)
    for (const [, value] of jar) remember(value)
    for (const expected of [
      first.access_token,
      first.refresh_token,
      first.id_token,
      opaqueTokens.access_token,
    ])
      assert.ok(seen.has(expected!), 'the recording saw the issued tokens')
    assert.ok(
      [...seen].some((v) => v.split('.').length === 3 && decodeJwt(v).iss === partner.clientId),
      'the recording saw client assertions',
    )

    // The partner's webhook secret, as the registry hands it out once.
    remember(await rotateWebhookSecret(t.db, t.ctx.secrets, partner.clientId, t.clock))
    const dump = await dumpDatabase(t.db)
    for (const value of seen) {
      assert.ok(!dump.includes(value), `stored in clear: ${value.slice(0, 12)}…`)
    }
  })

  test('SECURITY row 24: codes and opaque tokens carry at least 256 random bits', async () => {
    const user = await makeTestUser(t.db)
    const browser = new Browser()
    const values: string[] = []
    for (let i = 0; i < 3; i++) {
      const authorization = await authorizeAsPartner(t.origin, config, partner, user, {
        scope: 'openid offline_access',
        browser,
      })
      const tokens = await redeemCode(config, authorization)
      values.push(authorization.code, tokens.access_token, tokens.refresh_token!)
    }
    const cc = await oidc.clientCredentialsGrant(config, { scope: 'reports.submit' })
    values.push(String(decodeJwt(cc.access_token).jti))
    for (const value of values) {
      // base64url: 6 bits a character, so 43 characters carry 256 bits.
      assert.match(value, /^[A-Za-z0-9_-]{43,}$/)
    }
    assert.equal(new Set(values).size, values.length)
  })
})

describe('revocation and introspection', () => {
  test('SECURITY row 25: revoking a refresh token kills the access tokens of its grant; unknown tokens answer 200; the endpoint needs client authentication', async () => {
    const opaque = await connected('openid profile offline_access')
    assert.equal((await introspect(opaque.tokens.access_token)).active, true)
    await oidc.tokenRevocation(config, opaque.tokens.refresh_token!)
    assert.deepEqual(await introspect(opaque.tokens.refresh_token!), { active: false })
    assert.deepEqual(await introspect(opaque.tokens.access_token), { active: false })

    const jwt = await connected(PARTNER_SCOPES, { resource: t.resource })
    assert.equal((await me(jwt.tokens.access_token)).status, 200)
    await oidc.tokenRevocation(config, jwt.tokens.refresh_token!)
    await assertRefusedByPartnerApi(jwt.tokens.access_token)

    // Revoking an access token ends its grant too; the person can connect again afterwards.
    const single = await connected('openid offline_access')
    await oidc.tokenRevocation(config, single.tokens.access_token)
    assert.deepEqual(await introspect(single.tokens.access_token), { active: false })
    assert.deepEqual(await introspect(single.tokens.refresh_token!), { active: false })
    const again = await connected(PARTNER_SCOPES, {
      resource: t.resource,
      user: single.user,
      browser: single.browser,
    })
    assert.equal((await me(again.tokens.access_token)).status, 200)
    const rt = again.tokens.refresh_token!

    // RFC 7009 §2.2: unknown, already revoked and unrevocable (JWT) tokens all answer 200.
    await oidc.tokenRevocation(config, 'not-a-token-at-all')
    await oidc.tokenRevocation(config, single.tokens.refresh_token!)

    const unauthenticated = await postForm(`${t.origin}/oauth/revoke`, {
      token: rt,
      client_id: partner.clientId,
    })
    assert.equal(unauthenticated.status, 401)
    assert.equal(unauthenticated.json?.error, 'invalid_client')
    assert.equal((await introspect(rt)).active, true)

    // Another partner cannot revoke this partner's token.
    assert.deepEqual(await oauthError(oidc.tokenRevocation(otherConfig, rt)), {
      status: 400,
      error: 'invalid_request',
    })
    assert.equal((await introspect(rt)).active, true)
    assert.equal((await me(again.tokens.access_token)).status, 200)
  })

  test('SECURITY row 26: introspection needs client authentication and shows another client only active:false', async () => {
    const opaque = await connected('openid profile offline_access')
    const unauthenticated = await postForm(`${t.origin}/oauth/introspect`, {
      token: opaque.tokens.access_token,
      client_id: partner.clientId,
    })
    assert.equal(unauthenticated.status, 401)
    assert.equal(unauthenticated.json?.error, 'invalid_client')
    assert.equal(unauthenticated.json?.active, undefined)

    assert.deepEqual(await introspect(opaque.tokens.access_token, otherConfig), { active: false })
    assert.deepEqual(await introspect(opaque.tokens.refresh_token!, otherConfig), { active: false })
    assert.deepEqual(await introspect('not-a-token-at-all'), { active: false })
    await oidc.tokenRevocation(config, opaque.tokens.refresh_token!)
    assert.deepEqual(await introspect(opaque.tokens.refresh_token!), { active: false })
  })
})

describe('subjects and consent', () => {
  test('SECURITY row 32: a client-credentials token can never pass for a user', async () => {
    const cc = await oidc.clientCredentialsGrant(config, { scope: 'reports.submit' })
    const client = decodeJwt(cc.access_token)
    assert.equal(client.sub, partner.clientId)
    assert.equal(client.gid, undefined)
    const forbidden = await me(cc.access_token)
    assert.equal(forbidden.status, 403)
    assert.equal(forbidden.body.error?.code, 'user_token_required')

    const { tokens } = await connected(PARTNER_SCOPES, { resource: t.resource })
    const userToken = decodeJwt(tokens.access_token)
    assert.match(String(userToken.sub), /^[A-Za-z0-9_-]{43}$/)
    assert.notEqual(userToken.sub, partner.clientId)
    assert.equal(typeof userToken.gid, 'string')

    // A partner whose client id equals a user's app-scoped id at another partner still gets a
    // client token, never that user.
    const lookalike = await registerTestPartner(t.db, t.clock.now(), {
      clientId: String(userToken.sub),
      apis: ['reporting'],
    })
    const lookalikeConfig = await partnerClient(t.origin, lookalike)
    const lookalikeToken = await oidc.clientCredentialsGrant(lookalikeConfig, { scope: 'reports.submit' })
    assert.equal(decodeJwt(lookalikeToken.access_token).sub, userToken.sub)
    const refused = await me(lookalikeToken.access_token)
    assert.equal(refused.status, 403)
    assert.equal(refused.body.error?.code, 'user_token_required')
  })

  test('SECURITY row 36: consent is not accumulated into later tokens: a narrower request gets a narrower token', async () => {
    const user = await makeTestUser(t.db)
    const browser = new Browser()
    const a = await redeemCode(
      config,
      await authorizeAsPartner(t.origin, config, partner, user, {
        scope: 'openid offline_access recommendations.send friends.app',
        resource: t.resource,
        browser,
      }),
    )
    assert.equal(decodeJwt(a.access_token).scope, 'recommendations.send friends.app')
    // B asks for less, with and without a fresh consent screen.
    for (const prompt of ['consent', undefined]) {
      const b = await redeemCode(
        config,
        await authorizeAsPartner(t.origin, config, partner, user, {
          scope: 'openid offline_access recommendations.send',
          resource: t.resource,
          browser,
          prompt,
        }),
      )
      assert.equal(decodeJwt(b.access_token).scope, 'recommendations.send', `prompt=${prompt}`)
      if (b.refresh_token) {
        const refreshed = await oidc.refreshTokenGrant(config, b.refresh_token)
        assert.equal(decodeJwt(refreshed.access_token).scope, 'recommendations.send', `prompt=${prompt}`)
      }
    }
  })

  test('SECURITY row 35: disconnecting a partner in Tandem kills its refresh and access tokens at once', async (ctx) => {
    const { tokens, browser } = await connected(PARTNER_SCOPES, { resource: t.resource })
    const session = browser.cookies(new URL(t.origin).host).get('tandem_session')
    assert.ok(session, 'the sign-in left a Tandem session')
    // Time stands still: whatever the resource server caches cannot expire in between.
    ctx.mock.timers.enable({ apis: ['Date'], now: Date.now() })
    assert.equal((await me(tokens.access_token)).status, 200)
    assert.equal((await introspect(tokens.refresh_token!)).active, true)

    const res = await fetch(`${t.origin}/api/connected-apps/${partner.clientId}`, {
      method: 'DELETE',
      headers: { cookie: `tandem_session=${session}`, origin: t.origin },
    })
    assert.equal(res.status, 200, await res.clone().text())
    await res.text()

    await assertRefusedByPartnerApi(tokens.access_token, 'the very next call')
    assert.deepEqual(await introspect(tokens.refresh_token!), { active: false })
    assert.deepEqual(await oauthError(oidc.refreshTokenGrant(config, tokens.refresh_token!)), {
      status: 400,
      error: 'invalid_grant',
    })
  })
})

describe('refresh idle expiry', () => {
  test('SECURITY row 18: a refresh token unused for longer than the idle window expires; use renews it', async (ctx) => {
    const idle = await startListeningTandem({
      oauth: { accessTokenTtlSeconds: 300, refreshTokenIdleDays: 1 },
    })
    try {
      const p = await registerTestPartner(idle.db, idle.clock.now())
      const c = await partnerClient(idle.origin, p)
      const user = await makeTestUser(idle.db)
      const tokens = await redeemCode(
        c,
        await authorizeAsPartner(idle.origin, c, p, user, { scope: 'openid offline_access' }),
      )
      const hours = (h: number) => {
        ctx.mock.timers.tick(h * 3_600_000)
        idle.clock.advance(h * 3_600_000)
      }
      ctx.mock.timers.enable({ apis: ['Date'], now: Date.now() })
      // Used every 23 hours, it lives past the idle window (rotation starts a new one) ...
      hours(23)
      const second = await oidc.refreshTokenGrant(c, tokens.refresh_token!)
      hours(23)
      const third = await oidc.refreshTokenGrant(c, second.refresh_token!)
      assert.ok(third.refresh_token)
      // ... and unused for 25 hours, it is dead.
      hours(25)
      assert.deepEqual(await oauthError(oidc.refreshTokenGrant(c, third.refresh_token!)), {
        status: 400,
        error: 'invalid_grant',
      })
      assert.deepEqual(await oidc.tokenIntrospection(c, third.refresh_token!), { active: false })
    } finally {
      ctx.mock.timers.reset()
      await idle.close()
    }
  })
})

/** Every row of every table in the public schema, as text. */
async function dumpDatabase(db: Db): Promise<string> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(db)
  assert.ok(tables.rows.length > 5)
  const parts: string[] = []
  for (const { table_name } of tables.rows) {
    const name = `"${table_name.replaceAll('"', '""')}"`
    const rows = await sql<{ row: string }>`select r::text as row from ${sql.raw(name)} r`.execute(db)
    for (const { row } of rows.rows) parts.push(`${table_name}: ${row}`)
  }
  return parts.join('\n')
}
