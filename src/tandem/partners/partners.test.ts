import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { webhookSecretContext } from '../webhooks/webhooks.service.ts'
import { findPartner, listActivePartners, partnerJwks } from './partners.service.ts'
import { makePartnerTandem, type PartnerTandem, partnerBody } from './testing.ts'

type Jwk = Record<string, unknown>
const publicJwk = (type: 'ec' | 'ed25519' | 'rsa' | 'ec384', kid: string, bits = 2048): Jwk => {
  const pair =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : type === 'ec384'
        ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
        : type === 'ed25519'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('rsa', { modulusLength: bits })
  return { ...pair.publicKey.export({ format: 'jwk' }), kid }
}
const privateJwk = (kid: string): Jwk => ({
  ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
  kid,
})

let t: PartnerTandem
let admin: Awaited<ReturnType<PartnerTandem['makeUser']>>
let ec: Jwk
let ed: Jwk
let rsa: Jwk
before(async () => {
  t = await makePartnerTandem()
  admin = await t.makeUser({ isAdmin: true })
  ec = publicJwk('ec', 'ec-1')
  ed = publicJwk('ed25519', 'ed-1')
  rsa = publicJwk('rsa', 'rsa-1')
})
after(() => t.close())

const register = (body: object, who = admin) =>
  t.as(who, { method: 'POST', url: '/api/admin/partners', payload: body })

describe('partner registration', () => {
  test('registers a partner, shows the webhook secret once and keeps it sealed', async () => {
    const res = await register(
      partnerBody({ clientId: 'marquee', logoUrl: 'https://marquee.example/logo.png' }),
    )
    assert.equal(res.statusCode, 201)
    const { partner, webhookSecret } = res.json()
    assert.match(webhookSecret, /^whsec_[A-Za-z0-9_-]{43}$/)
    assert.deepEqual(partner, {
      id: 'marquee',
      clientId: 'marquee',
      name: 'Marquee',
      logoUrl: 'https://marquee.example/logo.png',
      homepageUrl: 'https://marquee.example/',
      privacyPolicyUrl: 'https://marquee.example/privacy',
      redirectUris: ['https://marquee.example/auth/tandem/callback'],
      jwksUri: 'https://marquee.example/.well-known/jwks.json',
      jwks: null,
      webhookUrl: 'https://marquee.example/webhooks/tandem',
      dpopBoundAccessTokens: false,
      status: 'active',
      createdAt: t.clock.now().toISOString(),
      updatedAt: t.clock.now().toISOString(),
    })
    const row = await findPartner(t.db, 'marquee')
    assert.ok(row)
    assert.notEqual(row.webhook_secret_enc, webhookSecret)
    assert.ok(!row.webhook_secret_enc.includes(webhookSecret.slice(6)))
    assert.equal(t.ctx.secrets.open(row.webhook_secret_enc, webhookSecretContext('marquee')), webhookSecret)
    assert.throws(() => t.ctx.secrets.open(row.webhook_secret_enc, webhookSecretContext('other')))
    for (const url of ['/api/admin/partners', '/api/admin/partners/marquee']) {
      const body = (await t.as(admin, { method: 'GET', url })).body
      assert.ok(!body.includes(row.webhook_secret_enc) && !body.includes(webhookSecret), url)
      assert.ok(!body.includes('webhookSecret') && !body.includes('webhook_secret'), url)
    }
  })

  test('a client id is generated from the name when not given; a taken one is refused', async () => {
    const res = await register(partnerBody({ name: 'Ciné Club!' }))
    assert.equal(res.statusCode, 201)
    assert.match(res.json().partner.clientId, /^cine-club-[a-z0-9]{6}$/)
    const taken = await register(partnerBody({ clientId: 'taken-id' }))
    assert.equal(taken.statusCode, 201)
    const again = await register(partnerBody({ clientId: 'taken-id' }))
    assert.equal(again.statusCode, 409)
    assert.deepEqual(again.json(), {
      error: {
        code: 'client_id_taken',
        message: 'a partner with that client id exists',
        details: { clientId: 'taken-id' },
      },
    })
    const bad = await register(partnerBody({ clientId: 'Bad_Id' }))
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().error.code, 'validation_failed')
    assert.equal(bad.json().error.details[0].path, 'clientId')
  })

  test('SECURITY row 3: an http redirect URI for a web client gives invalid_redirect_uri', async () => {
    const res = await register(partnerBody({ redirectUris: ['http://partner.example/cb'] }))
    assert.equal(res.statusCode, 400)
    assert.deepEqual(res.json(), {
      error: {
        code: 'invalid_redirect_uri',
        message:
          'redirectUris[0] must use https (http only for localhost, 127.0.0.1 or [::1], and only in development)',
        details: { field: 'redirectUris[0]', reason: 'https_required' },
      },
    })
  })

  test('SECURITY row 3: every other redirect URI problem has the same code and its own reason', async () => {
    const cases: Array<[string[], string, string]> = [
      [['https://p.example/cb', 'https://p.example/cb#frag'], 'redirectUris[1]', 'fragment_not_allowed'],
      [['https://user@p.example/cb'], 'redirectUris[0]', 'userinfo_not_allowed'],
      [['https://p.example/*'], 'redirectUris[0]', 'wildcard_not_allowed'],
      [['/relative/cb'], 'redirectUris[0]', 'not_absolute_url'],
      [['com.example.app:/cb'], 'redirectUris[0]', 'https_required'],
      [['https://p.example/cb', 'https://p.example/cb'], 'redirectUris[1]', 'duplicate'],
      [['https://p.example/c\nb'], 'redirectUris[0]', 'whitespace_not_allowed'],
    ]
    for (const [redirectUris, field, reason] of cases) {
      const res = await register(partnerBody({ redirectUris }))
      assert.equal(res.statusCode, 400, reason)
      assert.equal(res.json().error.code, 'invalid_redirect_uri', reason)
      assert.deepEqual(res.json().error.details, { field, reason })
    }
    const none = await register(partnerBody({ redirectUris: [] }))
    assert.equal(none.statusCode, 400)
    assert.equal(none.json().error.code, 'validation_failed')
    const eleven = await register(
      partnerBody({ redirectUris: Array.from({ length: 11 }, (_, i) => `https://p.example/${i}`) }),
    )
    assert.equal(eleven.json().error.code, 'validation_failed')
  })

  test('SECURITY row 3: loopback http redirect URIs pass only while allowLoopbackPartnerUrls', async () => {
    const ok = await register(
      partnerBody({ redirectUris: ['http://localhost:4000/cb', 'http://127.0.0.1/cb', 'http://[::1]:9/cb'] }),
    )
    assert.equal(ok.statusCode, 201)
    const strict = await makePartnerTandem({ allowLoopbackPartnerUrls: false })
    try {
      const strictAdmin = await strict.makeUser({ isAdmin: true })
      const res = await strict.as(strictAdmin, {
        method: 'POST',
        url: '/api/admin/partners',
        payload: partnerBody({ redirectUris: ['http://localhost:4000/cb'] }),
      })
      assert.equal(res.statusCode, 400)
      assert.deepEqual(res.json().error.details, { field: 'redirectUris[0]', reason: 'https_required' })
      assert.equal(res.json().error.code, 'invalid_redirect_uri')
    } finally {
      await strict.close()
    }
  })

  test('other partner URLs are https too, with invalid_url and the field', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ homepageUrl: 'http://marquee.example/' }, 'homepageUrl', 'https_required'],
      [{ privacyPolicyUrl: 'javascript:alert(1)' }, 'privacyPolicyUrl', 'https_required'],
      [{ logoUrl: 'not a url' }, 'logoUrl', 'whitespace_not_allowed'],
      [{ logoUrl: '' }, 'logoUrl', 'not_absolute_url'],
      [{ jwksUri: 'http://keys.example/jwks' }, 'jwksUri', 'https_required'],
      [{ webhookUrl: 'https://marquee.example/hook#x' }, 'webhookUrl', 'fragment_not_allowed'],
      [{ webhookUrl: 'https://a:b@marquee.example/hook' }, 'webhookUrl', 'userinfo_not_allowed'],
    ]
    for (const [override, field, reason] of cases) {
      const res = await register(partnerBody(override))
      assert.equal(res.statusCode, 400, field)
      assert.equal(res.json().error.code, 'invalid_url', field)
      assert.deepEqual(res.json().error.details, { field, reason })
    }
    const fragmentPage = await register(
      partnerBody({ privacyPolicyUrl: 'https://marquee.example/legal#privacy' }),
    )
    assert.equal(fragmentPage.statusCode, 201, 'a page URL may carry a fragment')
    const devLoopback = await register(partnerBody({ webhookUrl: 'http://127.0.0.1:4000/webhooks/tandem' }))
    assert.equal(devLoopback.statusCode, 201, 'loopback http for a local partner in development')
  })

  test('SECURITY row 43: in production, http://10.0.0.1/hook and other internal hosts give unsafe_url', async () => {
    const prod = await makePartnerTandem({ env: 'production', allowLoopbackPartnerUrls: false })
    try {
      const prodAdmin = await prod.makeUser({ isAdmin: true })
      const post = (body: object) =>
        prod.as(prodAdmin, { method: 'POST', url: '/api/admin/partners', payload: body })
      const res = await post(partnerBody({ webhookUrl: 'http://10.0.0.1/hook' }))
      assert.equal(res.statusCode, 400)
      assert.deepEqual(res.json(), {
        error: {
          code: 'unsafe_url',
          message: 'webhookUrl must not point to an internal or loopback address',
          details: { field: 'webhookUrl', reason: 'internal_address' },
        },
      })
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ jwksUri: 'https://169.254.169.254/latest/meta-data' }, 'jwksUri'],
        [{ webhookUrl: 'https://[fd00::1]/hook' }, 'webhookUrl'],
        [{ webhookUrl: 'https://192.168.0.10/hook' }, 'webhookUrl'],
        [{ homepageUrl: 'https://localhost/' }, 'homepageUrl'],
        [{ logoUrl: 'https://0x7f.1/logo.png' }, 'logoUrl'],
        [{ redirectUris: ['https://marquee.example/cb', 'http://localhost:4000/cb'] }, 'redirectUris[1]'],
      ]
      for (const [override, field] of cases) {
        const r = await post(partnerBody(override))
        assert.equal(r.statusCode, 400, field)
        assert.equal(r.json().error.code, 'unsafe_url', field)
        assert.deepEqual(r.json().error.details, { field, reason: 'internal_address' })
      }
      const publicIp = await post(partnerBody({ webhookUrl: 'https://93.184.216.34/hook' }))
      assert.equal(publicIp.statusCode, 201)
      const http = await post(partnerBody({ webhookUrl: 'http://hooks.marquee.example/hook' }))
      assert.equal(http.json().error.code, 'invalid_url')
    } finally {
      await prod.close()
    }
  })
})

describe('partner keys', () => {
  test('an inline JWKS of EC P-256, Ed25519 and RSA 2048 public keys is kept, reduced to public members', async () => {
    const res = await register(
      partnerBody({
        jwksUri: undefined,
        jwks: { keys: [{ ...ec, use: 'sig', alg: 'ES256', x5u: 'https://x.example' }, ed, rsa] },
      }),
    )
    assert.equal(res.statusCode, 201, res.body)
    const { partner } = res.json()
    assert.equal(partner.jwksUri, null)
    assert.deepEqual(
      partner.jwks.keys.map((k: Jwk) => k.kid),
      ['ec-1', 'ed-1', 'rsa-1'],
    )
    assert.equal(partner.jwks.keys[0].x5u, undefined)
    const row = await findPartner(t.db, partner.clientId)
    assert.deepEqual(partnerJwks(row!), { jwks: partner.jwks })
    const byUri = await findPartner(t.db, 'marquee')
    assert.deepEqual(partnerJwks(byUri!), { jwksUri: 'https://marquee.example/.well-known/jwks.json' })
  })

  test('exactly one of jwksUri or jwks', async () => {
    for (const override of [{ jwks: { keys: [ec] } }, { jwksUri: undefined }]) {
      const res = await register(partnerBody(override))
      assert.equal(res.statusCode, 400)
      assert.deepEqual(res.json(), {
        error: {
          code: 'invalid_jwks',
          message: 'give exactly one of jwksUri or jwks',
          details: [{ reason: 'exactly_one_of_jwks_uri_or_jwks' }],
        },
      })
    }
  })

  test('private, symmetric, duplicate, unnamed, weak or unsupported keys give invalid_jwks with details', async () => {
    const small = publicJwk('rsa', 'rsa-small', 1024)
    const res = await register(
      partnerBody({
        jwksUri: undefined,
        jwks: {
          keys: [
            ec,
            privateJwk('priv'),
            { kty: 'oct', k: 'c2VjcmV0', kid: 'sym' },
            { ...ed, kid: 'ec-1' },
            { ...ed, kid: undefined },
            small,
            publicJwk('ec384', 'p384'),
            { ...ec, kid: 'alg', alg: 'RS256' },
            { ...ec, kid: 'enc', use: 'enc' },
            { ...ec, kid: 'broken', x: 'AAAA' },
            'not a key',
          ],
        },
      }),
    )
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().error.code, 'invalid_jwks')
    assert.equal(res.json().error.message, 'jwks may hold at most 10 keys')
    const many = await register(
      partnerBody({
        jwksUri: undefined,
        jwks: {
          keys: [
            ec,
            privateJwk('priv'),
            { kty: 'oct', k: 'c2VjcmV0', kid: 'sym' },
            { ...ed, kid: 'ec-1' },
            { ...ed, kid: undefined },
            small,
            publicJwk('ec384', 'p384'),
            { ...ec, kid: 'alg', alg: 'RS256' },
            { ...ec, kid: 'enc', use: 'enc' },
            { ...ec, kid: 'broken', x: 'AAAA' },
          ],
        },
      }),
    )
    assert.equal(many.statusCode, 400)
    assert.deepEqual(many.json(), {
      error: {
        code: 'invalid_jwks',
        message: 'jwks has keys that cannot be used',
        details: [
          { index: 1, kid: 'priv', reason: 'private_key_material' },
          { index: 2, kid: 'sym', reason: 'private_key_material' },
          { index: 3, kid: 'ec-1', reason: 'duplicate_kid' },
          { index: 4, reason: 'kid_required' },
          { index: 5, kid: 'rsa-small', reason: 'rsa_key_too_short' },
          { index: 6, kid: 'p384', reason: 'unsupported_key_type' },
          { index: 7, kid: 'alg', reason: 'alg_mismatch' },
          { index: 8, kid: 'enc', reason: 'not_a_signing_key' },
          { index: 9, kid: 'broken', reason: 'invalid_key' },
        ],
      },
    })
    for (const [jwks, reason] of [
      [{ keys: [] }, 'no_keys'],
      [{ nokeys: true }, 'keys_missing'],
    ] as const) {
      const r = await register(partnerBody({ jwksUri: undefined, jwks }))
      assert.equal(r.statusCode, 400)
      assert.equal(r.json().error.code, 'invalid_jwks')
      assert.deepEqual(r.json().error.details, [{ reason }])
    }
  })
})

describe('changing partners', () => {
  let clientId: string
  before(async () => {
    clientId = (await register(partnerBody({ clientId: 'editable' }))).json().partner.clientId
  })
  const patch = (payload: object, id = clientId) =>
    t.as(admin, { method: 'PATCH', url: `/api/admin/partners/${id}`, payload })

  test('PATCH changes fields with the same checks; jwks replaces jwksUri; null clears optional URLs', async () => {
    t.clock.advance(60_000)
    const res = await patch({
      name: 'Marquee Plus',
      redirectUris: ['https://marquee.example/cb2'],
      jwks: { keys: [ec] },
      webhookUrl: null,
      dpopBoundAccessTokens: true,
    })
    assert.equal(res.statusCode, 200)
    const { partner } = res.json()
    assert.equal(partner.name, 'Marquee Plus')
    assert.deepEqual(partner.redirectUris, ['https://marquee.example/cb2'])
    assert.equal(partner.jwksUri, null)
    assert.equal(partner.jwks.keys[0].kid, 'ec-1')
    assert.equal(partner.webhookUrl, null)
    assert.equal(partner.dpopBoundAccessTokens, true)
    assert.equal(partner.updatedAt, t.clock.now().toISOString())
    assert.notEqual(partner.createdAt, partner.updatedAt)
    const back = await patch({ jwksUri: 'https://marquee.example/jwks' })
    assert.equal(back.json().partner.jwks, null)
    assert.equal(back.json().partner.jwksUri, 'https://marquee.example/jwks')
  })

  test('PATCH refuses what registration refuses, an empty change and unknown fields', async () => {
    const http = await patch({ redirectUris: ['http://partner.example/cb'] })
    assert.equal(http.statusCode, 400)
    assert.equal(http.json().error.code, 'invalid_redirect_uri')
    const both = await patch({ jwksUri: 'https://p.example/jwks', jwks: { keys: [ec] } })
    assert.equal(both.json().error.code, 'invalid_jwks')
    const empty = await patch({})
    assert.equal(empty.statusCode, 400)
    assert.equal(empty.json().error.code, 'validation_failed')
    const renamed = await patch({ clientId: 'other' })
    assert.equal(renamed.json().error.code, 'validation_failed')
    const missing = await patch({ name: 'x' }, 'no-such-partner')
    assert.equal(missing.statusCode, 404)
    assert.deepEqual(missing.json(), { error: { code: 'partner_not_found', message: 'partner not found' } })
  })

  test('suspend and activate; listActivePartners follows', async () => {
    const suspended = await t.as(admin, { method: 'POST', url: `/api/admin/partners/${clientId}/suspend` })
    assert.equal(suspended.statusCode, 200)
    assert.equal(suspended.json().partner.status, 'suspended')
    assert.ok(!(await listActivePartners(t.db)).some((p) => p.client_id === clientId))
    const again = await t.as(admin, { method: 'POST', url: `/api/admin/partners/${clientId}/suspend` })
    assert.equal(again.json().partner.status, 'suspended', 'suspending twice is harmless')
    const active = await t.as(admin, { method: 'POST', url: `/api/admin/partners/${clientId}/activate` })
    assert.equal(active.json().partner.status, 'active')
    assert.ok((await listActivePartners(t.db)).some((p) => p.client_id === clientId))
    const unknown = await t.as(admin, { method: 'POST', url: '/api/admin/partners/nobody-here/suspend' })
    assert.equal(unknown.statusCode, 404)
    assert.equal(unknown.json().error.code, 'partner_not_found')
  })

  test('list and get', async () => {
    const list = (await t.as(admin, { method: 'GET', url: '/api/admin/partners' })).json().partners
    assert.ok(list.some((p: { clientId: string }) => p.clientId === clientId))
    const one = await t.as(admin, { method: 'GET', url: `/api/admin/partners/${clientId}` })
    assert.equal(one.json().partner.clientId, clientId)
    const missing = await t.as(admin, { method: 'GET', url: '/api/admin/partners/nope-nope' })
    assert.deepEqual(missing.json(), { error: { code: 'partner_not_found', message: 'partner not found' } })
    assert.equal(await findPartner(t.db, 'nope-nope'), undefined)
  })
})

describe('admin only', () => {
  const routes: Array<[string, string, object | undefined]> = [
    ['POST', '/api/admin/partners', partnerBody()],
    ['GET', '/api/admin/partners', undefined],
    ['GET', '/api/admin/partners/marquee', undefined],
    ['PATCH', '/api/admin/partners/marquee', { name: 'Taken over' }],
    ['POST', '/api/admin/partners/marquee/suspend', undefined],
    ['POST', '/api/admin/partners/marquee/activate', undefined],
    ['GET', '/api/admin/partners/marquee/compliance', undefined],
    ['GET', '/api/admin/compliance', undefined],
    ['POST', '/api/admin/agreements', { clientId: 'marquee', apis: ['inbox'], validUntil: '2027-06-30' }],
    ['GET', '/api/admin/agreements', undefined],
    [
      'POST',
      '/api/admin/agreements/00000000-0000-4000-8000-000000000000/extend',
      { validUntil: '2030-01-01' },
    ],
    ['POST', '/api/admin/agreements/00000000-0000-4000-8000-000000000000/end', { reason: 'x' }],
  ]

  test('a signed-in non-admin gets 403 admin_only on every admin route, before validation', async () => {
    const user = await t.makeUser()
    for (const [method, url, payload] of routes) {
      const res = await t.as(user, { method: method as 'GET', url, ...(payload ? { payload } : {}) })
      assert.equal(res.statusCode, 403, `${method} ${url}`)
      assert.deepEqual(res.json(), { error: { code: 'admin_only', message: 'this needs an administrator' } })
    }
    const bad = await t.as(user, { method: 'POST', url: '/api/admin/partners', payload: { junk: 1 } })
    assert.equal(bad.statusCode, 403, 'validation does not run for a caller who may not call')
  })

  test('logged out gets 401 unauthenticated', async () => {
    for (const [method, url, payload] of routes) {
      const res = await t.app.inject({ method: method as 'GET', url, ...(payload ? { payload } : {}) })
      assert.equal(res.statusCode, 401, `${method} ${url}`)
      assert.deepEqual(res.json(), { error: { code: 'unauthenticated', message: 'log in first' } })
    }
  })

  test('nothing was changed by the refused calls', async () => {
    const partner = await findPartner(t.db, 'marquee')
    assert.equal(partner?.name, 'Marquee')
    assert.equal(partner?.status, 'active')
  })
})
