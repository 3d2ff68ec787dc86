import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { CompactSign, generateKeyPair } from 'jose'
import * as oidc from 'openid-client'
import { INTERFACES, RECIPIENT_TYPES, SURFACES } from '../../lib/measurement-dimensions.ts'
import {
  type ListeningTandem,
  partnerClient,
  registerTestPartner,
  startListeningTandem,
  type TestPartner,
} from '../oauth/testing.ts'
import type { Reconciliation } from './reconciliation.ts'
import { findReceivedReports, findReconciliation } from './reports.service.ts'
import { discreteLaplace, seededUniform } from './simulated-partner.ts'

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

const VARIANTS = ['classic', 'quick']

/** Every cell of the closed domain for the 14 days ending yesterday; `value` gives each its counts. */
function rowsFor(
  startOffset: number,
  value: (cell: {
    day: string
    interface: string
    surface: string
    variant: string
    recipientType: string
  }) => {
    sends: number
    clicks: number
    uniqueClicks: number
  } = () => ({ sends: 0, clicks: 0, uniqueClicks: 0 }),
) {
  const rows = []
  for (let d = 0; d < 14; d++)
    for (const iface of INTERFACES)
      for (const surface of SURFACES)
        for (const variant of VARIANTS)
          for (const recipientType of RECIPIENT_TYPES) {
            const cell = { day: day(startOffset + d), interface: iface, surface, variant, recipientType }
            rows.push({ ...cell, ...value(cell) })
          }
  return rows
}

function report(overrides: Record<string, unknown> = {}) {
  const end = daysSinceEpoch2000() - 1
  return {
    schema: 'tandem.partner-report/1',
    partner: partner.clientId,
    period: { start: day(end - 13), end: day(end) },
    generatedAt: t.clock.now().toISOString(),
    status: 'provisional',
    dimensions: {
      interface: [...INTERFACES],
      surface: [...SURFACES],
      variant: VARIANTS,
      recipientType: [...RECIPIENT_TYPES],
    },
    rows: rowsFor(end - 13),
    privacy: {
      mechanism: 'discrete_laplace',
      unit: 'sender_day',
      epsilonPerDay: 1,
      epsilonTotal: 14,
      contributionBound: { sendsPerSenderPerDay: 20, clicksPerSenderPerDay: 20 },
      sensitivity: 60,
      noiseScale: 60,
      halfWidth95: 180,
      clippedShare: { sends: 0, clicks: 0 },
    },
    ...overrides,
  }
}

const sign = (payload: unknown, key: CryptoKey = partner.privateKey, kid = partner.kid) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', kid })
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

  test('SECURITY row 45: one altered byte is invalid_signature; a key the partner never registered is unknown_signing_key', async () => {
    const good = await sign(report())
    const [h, p, s] = good.split('.') as [string, string, string]
    const payload = Buffer.from(p, 'base64url')
    payload.writeUInt8(payload.readUInt8(payload.length - 2) ^ 1, payload.length - 2)
    await expectError(await deliver(`${h}.${payload.toString('base64url')}.${s}`), 400, 'invalid_signature')
    const stranger = await generateKeyPair('ES256')
    // Under the registered kid a foreign key is just a bad signature; under its own kid it is unknown.
    await expectError(await deliver(await sign(report(), stranger.privateKey)), 400, 'invalid_signature')
    await expectError(
      await deliver(await sign(report(), stranger.privateKey, 'not-registered')),
      400,
      'unknown_signing_key',
    )
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
    await expectError(
      await deliver(await sign(report({ period: { start: day(end - 12), end: day(end + 1) } }))),
      400,
      'period_not_ended',
    )
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

  test('every cell of the closed domain must be there, once, zeros included', async () => {
    const full = report()
    await expectError(
      await deliver(await sign({ ...full, rows: full.rows.slice(1) })),
      400,
      'incomplete_report',
    )
    await expectError(
      await deliver(await sign({ ...full, rows: [...full.rows, full.rows[0]] })),
      400,
      'incomplete_report',
    )
    await expectError(
      await deliver(await sign({ ...full, dimensions: { ...full.dimensions, interface: ['web', 'tv'] } })),
      400,
      'incomplete_report',
    )
    await expectError(
      await deliver(await sign({ ...full, rows: [{ ...full.rows[0], sends: -1 }, ...full.rows.slice(1)] })),
      400,
      'invalid_report',
    )
  })

  describe('reconciliation against Tandem’s own counts', () => {
    const end = () => daysSinceEpoch2000() - 1
    /** Tandem's counts for the period: large web cells, small TV ones, nothing on mobile search. */
    const tandemCount = (cell: { day: string; interface: string; surface: string; variant: string }) => {
      if (cell.interface === 'mobile' && cell.surface === 'search') return 0
      const base = cell.interface === 'web' ? 2500 : cell.interface === 'mobile' ? 500 : 30
      return base + (cell.day.charCodeAt(9) % 7) * 10 + cell.variant.length
    }
    before(async () => {
      const rows = rowsFor(end() - 13).filter((r) => r.recipientType === 'tandem' && tandemCount(r) > 0)
      await t.db
        .insertInto('partner_daily_counts')
        .values(
          rows.map((r) => {
            const sends = tandemCount(r)
            return {
              client_id: partner.clientId,
              day: r.day,
              interface: r.interface,
              surface: r.surface,
              variant: r.variant,
              sends,
              clicks: Math.round(sends * 0.35),
              unique_clicks: Math.round(sends * 0.3),
            }
          }),
        )
        .execute()
    })

    /** The partner's report: its counts (a share of Tandem's sends) plus discrete Laplace noise, clamped. */
    function noisyReport(seed: number, sendsShare: (cell: { interface: string; variant: string }) => number) {
      const u = seededUniform(seed)
      const noisy = (v: number) => Math.max(0, v + discreteLaplace(u, 60))
      return report({
        rows: rowsFor(end() - 13, (cell) => {
          const x = cell.recipientType === 'tandem' ? tandemCount(cell) : 200
          return {
            sends: noisy(Math.round(x * sendsShare(cell))),
            clicks: noisy(Math.round(x * 0.3)),
            uniqueClicks: noisy(Math.round(x * 0.27)),
          }
        }),
      })
    }

    test('an honest noisy report is accepted, with no more flags than its noise allows, and stored', async () => {
      const res = await deliver(await sign(noisyReport(1, () => 1)))
      assert.equal(res.status, 202)
      const body = (await res.json()) as { id: string; reconciliation: Reconciliation }
      const r = body.reconciliation
      assert.equal(r.verdict, 'consistent')
      assert.equal(r.noise.halfWidth95, 180)
      assert.equal(r.noise.manifestConsistent, true)
      assert.deepEqual(r.checks, { day: 14 * 3 * 5 * 2 * 3, period: 3 * 5 * 2 * 3 })
      assert.ok(r.flagCounts.day <= r.allowedFlags.day && r.flagCounts.period <= r.allowedFlags.period)
      assert.deepEqual(await findReconciliation(t.db, body.id), r)
      await assert.rejects(
        t.db.deleteFrom('partner_report_reconciliations').where('report_id', '=', body.id).execute(),
        /append-only/,
      )
    })

    test('a partner under-reporting Tandem sends by 20% is flagged in the affected cells', async () => {
      const affected = (c: { interface: string; variant: string }) =>
        c.interface === 'web' && c.variant === 'quick'
      const res = await deliver(await sign(noisyReport(2, (c) => (affected(c) ? 0.8 : 1))))
      assert.equal(res.status, 202, 'stored all the same: the obligation is met, the gap is flagged')
      const r = ((await res.json()) as { reconciliation: Reconciliation }).reconciliation
      assert.equal(r.verdict, 'discrepant')
      const under = r.flags.filter((f) => f.measure === 'sends' && f.direction === 'under')
      for (const surface of SURFACES) {
        assert.ok(
          under.some((f) => f.level === 'period' && affected(f) && f.surface === surface),
          `web/${surface}/quick over the period`,
        )
      }
      const affectedDays = under.filter((f) => f.level === 'day' && affected(f)).length
      assert.ok(affectedDays >= 0.9 * 14 * 5, `${affectedDays} of 70 affected day cells`)
      assert.ok(under.filter((f) => !affected(f)).length <= r.allowedFlags.period)
    })
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
