import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { CompactSign, generateKeyPair } from 'jose'
import * as oidc from 'openid-client'
import {
  type ListeningTandem,
  partnerClient,
  registerTestPartner,
  startListeningTandem,
  type TestPartner,
} from '../oauth/testing.ts'
import { findReceivedReports } from './reports.service.ts'

let t: ListeningTandem
let partner: TestPartner
let token: string
before(async () => {
  t = await startListeningTandem()
  partner = await registerTestPartner(t.db, t.clock.now())
  const config = await partnerClient(t.origin, partner)
  token = (await oidc.clientCredentialsGrant(config, { scope: 'reports.submit', resource: t.resource }))
    .access_token
})
after(() => t.close())

const day = (offset: number) =>
  new Date(Date.UTC(2000, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10)
const daysSinceEpoch2000 = () => Math.floor((t.clock.now().getTime() - Date.UTC(2000, 0, 1)) / 86_400_000)

function report(overrides: Record<string, unknown> = {}) {
  const end = daysSinceEpoch2000() - 1
  return {
    schema: 'tandem.partner-report/1',
    partner: partner.clientId,
    period: { start: day(end - 13), end: day(end) },
    generatedAt: t.clock.now().toISOString(),
    status: 'provisional',
    dimensions: { interface: ['web', 'tv', 'mobile'] },
    rows: [],
    privacy: { mechanism: 'discrete_laplace', epsilonPerDay: 1 },
    ...overrides,
  }
}

const sign = (payload: unknown, key: CryptoKey = partner.privateKey) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', kid: partner.kid })
    .sign(key)

const deliver = (jws: string, bearer = token) =>
  fetch(`${t.origin}/partner/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose', authorization: `Bearer ${bearer}` },
    body: jws,
  })

async function expectError(res: Response, status: number, code: string) {
  assert.equal(res.status, status)
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, code)
}

describe('the Reporting API', () => {
  test('SECURITY row 45: an honest report is accepted, stored and counted as received', async () => {
    const res = await deliver(await sign(report()))
    assert.equal(res.status, 202)
    const body = (await res.json()) as { id: string; reconciliation: unknown }
    assert.match(body.id, /^[0-9a-f-]{36}$/)
    const received = await findReceivedReports(t.db, partner.clientId)
    assert.equal(received.length, 1)
  })

  test('SECURITY row 45: one altered byte, or a key the partner never registered, is invalid_signature', async () => {
    const good = await sign(report())
    const [h, p, s] = good.split('.') as [string, string, string]
    const payload = Buffer.from(p, 'base64url')
    payload.writeUInt8(payload.readUInt8(payload.length - 2) ^ 1, payload.length - 2)
    await expectError(await deliver(`${h}.${payload.toString('base64url')}.${s}`), 400, 'invalid_signature')
    const stranger = await generateKeyPair('ES256')
    await expectError(await deliver(await sign(report(), stranger.privateKey)), 400, 'invalid_signature')
  })

  test('a wrong period, another partner or a malformed report each has its own code', async () => {
    const end = daysSinceEpoch2000() - 1
    await expectError(
      await deliver(await sign(report({ period: { start: day(end - 12), end: day(end) } }))),
      400,
      'invalid_period',
    )
    await expectError(await deliver(await sign(report({ partner: 'someone-else' }))), 403, 'wrong_partner')
    await expectError(await deliver(await sign(report({ schema: 'other/1' }))), 400, 'invalid_report')
    const past = daysSinceEpoch2000() - 60
    await expectError(
      await deliver(await sign(report({ period: { start: day(past - 13), end: day(past) } }))),
      403,
      'period_not_covered',
    )
  })

  test('versions chain by supersedes, append-only', async () => {
    const first = (await (await deliver(await sign(report()))).json()) as { id: string }
    const second = await deliver(await sign(report({ status: 'final', supersedes: first.id })))
    assert.equal(second.status, 202)
    await expectError(
      await deliver(await sign(report({ supersedes: '00000000-0000-4000-8000-000000000000' }))),
      400,
      'invalid_supersedes',
    )
    await assert.rejects(
      t.db.deleteFrom('partner_reports').where('id', '=', first.id).execute(),
      /append-only/,
    )
  })

  test('SECURITY row 45: with no agreement in force the call is refused with 403', async () => {
    await t.db
      .updateTable('agreements')
      .set({ ended_at: t.clock.now() })
      .where('client_id', '=', partner.clientId)
      .execute()
    // The guard caches agreement state for at most a second.
    let res = await deliver(await sign(report()))
    for (let i = 0; i < 30 && res.status === 202; i++) {
      await new Promise((r) => setTimeout(r, 100))
      res = await deliver(await sign(report()))
    }
    await expectError(res, 403, 'agreement_inactive')
  })
})
