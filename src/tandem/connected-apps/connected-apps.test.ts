import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { CompactSign, generateKeyPair } from 'jose'
import * as oidc from 'openid-client'
import { verifyWebhook } from '../../lib/webhook-signature.ts'
import {
  authorizeInBrowser,
  Browser,
  type ListeningTandem,
  makeTestUser,
  partnerClient,
  registerTestPartner,
  startListeningTandem,
  type TestPartner,
} from '../oauth/testing.ts'
import { sealWebhookSecret } from '../webhooks/webhooks.service.ts'

let t: ListeningTandem
before(async () => {
  t = await startListeningTandem()
})
after(() => t.close())

async function connect(partner: TestPartner, scope: string) {
  const user = await makeTestUser(t.db)
  const config = await partnerClient(t.origin, partner)
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: partner.redirectUri,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    resource: t.resource,
    prompt: 'consent',
  })
  const back = await authorizeInBrowser(new Browser(), t.origin, url, user)
  const tokens = await oidc.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  })
  const login = await fetch(`${t.origin}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.username, password: user.password }),
  })
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
  return { user, config, tokens, cookie }
}

const api = (cookie: string, path: string, init: RequestInit = {}) =>
  fetch(`${t.origin}${path}`, { ...init, headers: { ...init.headers, cookie } })

async function sign(claims: Record<string, unknown>, partner: { privateKey: CryptoKey; kid: string }) {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', kid: partner.kid })
    .sign(partner.privateKey)
}

describe('connected apps', () => {
  test('the page lists each partner with the scopes granted and a purpose for each', async () => {
    const partner = await registerTestPartner(t.db, t.clock.now(), { name: 'Marquee' })
    const { cookie } = await connect(partner, 'openid profile recommendations.send friends.app')
    const body = await (await api(cookie, '/api/connected-apps')).json()
    assert.equal(body.apps.length, 1)
    const app = body.apps[0]
    assert.equal(app.clientId, partner.clientId)
    assert.equal(app.name, 'Marquee')
    assert.deepEqual(app.scopes.map((s: { scope: string }) => s.scope).sort(), [
      'friends.app',
      'openid',
      'profile',
      'recommendations.send',
    ])
    assert.match(app.scopes.find((s: { scope: string }) => s.scope === 'friends.app').purpose, /Marquee/)
    assert.deepEqual(body.disconnected, [])
  })

  test('revoke: the next partner call fails, refresh fails, and a deletion request is due', async () => {
    const partner = await registerTestPartner(t.db, t.clock.now())
    const { config, tokens, cookie } = await connect(partner, 'openid offline_access recommendations.send')
    const me = () =>
      fetch(`${t.origin}/partner/v1/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
    assert.equal((await me()).status, 200)
    const res = await api(cookie, `/api/connected-apps/${partner.clientId}`, { method: 'DELETE' })
    assert.equal(res.status, 200)
    const revoked = await res.json()
    assert.equal(revoked.disconnected.deletionRequests.length, 1)
    const after = await me()
    assert.equal(after.status, 401)
    assert.deepEqual(await after.json(), {
      error: { code: 'invalid_token', message: 'the access was revoked' },
    })
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), { error: 'invalid_grant' })
    const page = await (await api(cookie, '/api/connected-apps')).json()
    assert.deepEqual(page.apps, [])
    assert.equal(page.disconnected[0].deletion.status, 'requested')
    const again = await api(cookie, `/api/connected-apps/${partner.clientId}`, { method: 'DELETE' })
    assert.equal(again.status, 404)
    assert.deepEqual(await again.json(), {
      error: { code: 'connected_app_not_found', message: 'connected app not found' },
    })
  })

  test('a signed deletion receipt is verified against the partner key and shown to the user', async () => {
    const partner = await registerTestPartner(t.db, t.clock.now())
    const { cookie, tokens } = await connect(partner, 'openid recommendations.send')
    const sub = (
      await (
        await fetch(`${t.origin}/partner/v1/me`, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        })
      ).json()
    ).id
    const requestId = (
      await (await api(cookie, `/api/connected-apps/${partner.clientId}`, { method: 'DELETE' })).json()
    ).disconnected.deletionRequests[0].id
    const claims = {
      iss: partner.clientId,
      aud: t.origin,
      iat: Math.floor(t.clock.now().getTime() / 1000),
      requestId,
      sub,
      deletedAt: t.clock.now().toISOString(),
      categories: ['tandem_tokens', 'app_friend_ids'],
    }
    const post = (receipt: string) =>
      fetch(`${t.origin}/partner/v1/deletion-receipts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ receipt }),
      })
    const stranger = await generateKeyPair('ES256')
    const forged = await post(await sign(claims, { privateKey: stranger.privateKey, kid: partner.kid }))
    assert.equal(forged.status, 400)
    assert.equal((await forged.json()).error.code, 'invalid_signature')
    const good = await sign(claims, partner)
    const tampered = `${good.slice(0, -3)}${good.at(-3) === 'A' ? 'B' : 'A'}${good.slice(-2)}`
    assert.equal((await (await post(tampered)).json()).error.code, 'invalid_signature')
    const wrongSub = await post(await sign({ ...claims, sub: 'someone-else' }, partner))
    assert.equal(wrongSub.status, 404)
    const accepted = await post(good)
    assert.equal(accepted.status, 201)
    assert.equal((await post(good)).status, 200, 'a repeat is accepted once')
    const page = await (await api(cookie, '/api/connected-apps')).json()
    const deletion = page.disconnected.find(
      (d: { clientId: string }) => d.clientId === partner.clientId,
    ).deletion
    assert.equal(deletion.status, 'received')
    assert.deepEqual(deletion.receipt.categories, ['tandem_tokens', 'app_friend_ids'])
  })
})

describe('the partner hears of the revocation', () => {
  test('signed grant.revoked and data.deletion_requested webhooks, then the receipt closes the request', async () => {
    const partner = await registerTestPartner(t.db, t.clock.now())
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = []
    const receiver = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        received.push({ headers: req.headers, body })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    try {
      const port = (receiver.address() as { port: number }).port
      const secret = 'whsec_test_secret_for_this_partner'
      await t.db
        .updateTable('partner_apps')
        .set({
          webhook_url: `http://127.0.0.1:${port}/tandem/webhooks`,
          webhook_secret_enc: sealWebhookSecret(t.ctx.secrets, partner.clientId, secret),
        })
        .where('client_id', '=', partner.clientId)
        .execute()
      const { cookie, tokens } = await connect(partner, 'openid recommendations.send')
      const sub = (
        await (
          await fetch(`${t.origin}/partner/v1/me`, {
            headers: { authorization: `Bearer ${tokens.access_token}` },
          })
        ).json()
      ).id
      await api(cookie, `/api/connected-apps/${partner.clientId}`, { method: 'DELETE' })
      assert.equal(await t.webhooks.runOnce(), 2)
      assert.deepEqual(received.map((r) => r.headers['tandem-event-type']).sort(), [
        'data.deletion_requested',
        'grant.revoked',
      ])
      const now = Math.floor(t.clock.now().getTime() / 1000)
      for (const r of received) {
        assert.deepEqual(verifyWebhook(secret, String(r.headers['tandem-signature']), r.body, now), {
          ok: true,
          timestamp: now,
        })
        assert.equal(
          JSON.parse(r.body).data.sub,
          sub,
          'the partner knows the person only by its app-scoped id',
        )
      }
      const { user_id: userId } = await t.db
        .selectFrom('app_subjects')
        .select('user_id')
        .where('sub', '=', sub)
        .executeTakeFirstOrThrow()
      assert.ok(!received.some((r) => r.body.includes(userId)), "Tandem's own user id never leaves")
      const request = JSON.parse(
        received.find((r) => r.headers['tandem-event-type'] === 'data.deletion_requested')!.body,
      ).data
      const receipt = await sign(
        {
          iss: partner.clientId,
          aud: t.origin,
          iat: now,
          requestId: request.requestId,
          sub,
          deletedAt: t.clock.now().toISOString(),
        },
        partner,
      )
      const res = await fetch(`${t.origin}/partner/v1/deletion-receipts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ receipt }),
      })
      assert.equal(res.status, 201)
      const page = await (await api(cookie, '/api/connected-apps')).json()
      assert.equal(
        page.disconnected.find((d: { clientId: string }) => d.clientId === partner.clientId).deletion.status,
        'received',
      )
    } finally {
      receiver.close()
    }
  })
})

describe('the access ledger records partner calls', () => {
  test('SECURITY row 49: N partner calls touching user data give exactly N ledger entries, chained', async () => {
    const partner = await registerTestPartner(t.db, t.clock.now())
    const { tokens, cookie } = await connect(partner, 'openid recommendations.send')
    const n = 5
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${t.origin}/partner/v1/me`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      })
      assert.equal(res.status, 200)
    }
    const refused = await fetch(`${t.origin}/partner/v1/me`, {
      headers: { authorization: 'Bearer not-a-token' },
    })
    assert.equal(refused.status, 401)
    const ledger = await (await api(cookie, `/api/connected-apps/${partner.clientId}/ledger`)).json()
    assert.equal(ledger.entries.length, n, 'a refused call writes nothing')
    assert.ok(ledger.entries.every((e: { action: string }) => e.action === 'profile.read'))
    const verify = await (await api(cookie, '/api/ledger/verify')).json()
    assert.equal(verify.ok, true)
    assert.equal(verify.entries, n)
  })
})

// Moves the clock a month ahead, so it runs last.
describe('deletion deadlines', () => {
  test('a receipt not sent in time shows as overdue', async () => {
    const partner = await registerTestPartner(t.db, t.clock.now())
    const { cookie: first, user } = await connect(partner, 'openid recommendations.send')
    await api(first, `/api/connected-apps/${partner.clientId}`, { method: 'DELETE' })
    t.clock.advance(31 * 86_400_000)
    const login = await fetch(`${t.origin}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user.username, password: user.password }),
    })
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
    const page = await (await api(cookie, '/api/connected-apps')).json()
    const deletion = page.disconnected.find(
      (d: { clientId: string }) => d.clientId === partner.clientId,
    ).deletion
    assert.equal(deletion.status, 'overdue')
  })
})
