import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import * as oidc from 'openid-client'
import { signUp } from '../accounts/accounts.service.ts'
import {
  type ListeningTandem,
  partnerClient,
  registerTestPartner,
  startListeningTandem,
  type TestPartner,
} from '../oauth/testing.ts'
import { sessionCookieFrom } from '../testing.ts'
import type { Reconciliation } from './reconciliation.ts'
import { fixtureReport, lastPeriod, seedTandemCounts, signFixtureReport } from './report-fixtures.ts'

let t: ListeningTandem
let partner: TestPartner
let other: TestPartner
let adminCookie: string
let userCookie: string
let period: { start: string; end: string }
/** The first version (honest, provisional) and its restatement (final, 20% under on web × quick). */
const delivered: Array<{
  id: string
  reconciliation: Reconciliation
  payload: ReturnType<typeof fixtureReport>
}> = []
const underReported = (c: { interface: string; variant: string }) =>
  c.interface === 'web' && c.variant === 'quick'

async function login(username: string, isAdmin: boolean) {
  const password = 'correct horse battery'
  await signUp(t.db, { username, displayName: username, password, isAdmin })
  const res = await t.app.inject({ method: 'POST', url: '/api/login', payload: { username, password } })
  return sessionCookieFrom(res)
}

async function deliver(payload: ReturnType<typeof fixtureReport>) {
  const config = await partnerClient(t.origin, partner)
  const token = (await oidc.clientCredentialsGrant(config, { scope: 'reports.submit', resource: t.resource }))
    .access_token
  const res = await fetch(`${t.origin}/partner/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose', authorization: `Bearer ${token}` },
    body: await signFixtureReport(payload, partner),
  })
  assert.equal(res.status, 202, await res.clone().text())
  const body = (await res.json()) as { id: string; reconciliation: Reconciliation }
  delivered.push({ ...body, payload })
  return body
}

before(async () => {
  t = await startListeningTandem()
  partner = await registerTestPartner(t.db, t.clock.now(), { name: 'Marquee' })
  other = await registerTestPartner(t.db, t.clock.now(), { name: 'Quiet App', apis: ['inbox'] })
  adminCookie = await login('ada', true)
  userCookie = await login('ana', false)
  period = lastPeriod(t.clock.now())
  await seedTandemCounts(t.db, partner.clientId, period)
  const first = await deliver(
    fixtureReport({ clientId: partner.clientId, period, now: t.clock.now(), status: 'provisional', seed: 1 }),
  )
  t.clock.advance(60_000)
  await deliver(
    fixtureReport({
      clientId: partner.clientId,
      period,
      now: t.clock.now(),
      status: 'final',
      supersedes: first.id,
      seed: 2,
      sendsShare: (c) => (underReported(c) ? 0.8 : 1),
    }),
  )
})
after(() => t.close())

const get = (url: string, cookie?: string) =>
  t.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} })

describe('admin report views', () => {
  test('admins only: 401 without a session, 403 for a member', async () => {
    for (const url of [
      `/api/admin/partners/${partner.clientId}/reports`,
      `/api/admin/reports/${delivered[0]!.id}`,
    ]) {
      const anonymous = await get(url)
      assert.equal(anonymous.statusCode, 401)
      assert.deepEqual(anonymous.json(), { error: { code: 'unauthenticated', message: 'log in first' } })
      const member = await get(url, userCookie)
      assert.equal(member.statusCode, 403)
      assert.deepEqual(member.json(), {
        error: { code: 'admin_only', message: 'this needs an administrator' },
      })
    }
  })

  test('the versions of a partner: period, status, supersedes chain, timeliness, verdict', async () => {
    const res = await get(`/api/admin/partners/${partner.clientId}/reports`, adminCookie)
    assert.equal(res.statusCode, 200)
    const { reports } = res.json() as { reports: Array<Record<string, unknown>> }
    const [first, second] = delivered
    assert.deepEqual(
      reports.map((r) => [r.id, r.status, r.supersedes, r.supersededBy, r.verdict, r.timeliness]),
      [
        [second!.id, 'final', first!.id, null, 'discrepant', 'on_time'],
        [first!.id, 'provisional', null, second!.id, 'consistent', 'on_time'],
      ],
    )
    assert.equal(reports[0]!.periodStart, period.start)
    assert.equal(reports[0]!.periodEnd, period.end)
    assert.equal(reports[0]!.flaggedCells, second!.reconciliation.flags.length)
    const end = Date.parse(`${period.end}T00:00:00Z`)
    assert.equal(reports[0]!.dueAt, new Date(end + 3 * 86_400_000).toISOString())

    const none = await get(`/api/admin/partners/${other.clientId}/reports`, adminCookie)
    assert.deepEqual(none.json(), { reports: [] })
    const unknown = await get('/api/admin/partners/no-such-app/reports', adminCookie)
    assert.equal(unknown.statusCode, 404)
    assert.deepEqual(unknown.json(), { error: { code: 'partner_not_found', message: 'partner not found' } })
  })

  test('one version: the reconciliation is the one intake computed, the charts sum the tandem rows', async () => {
    const second = delivered[1]!
    const res = await get(`/api/admin/reports/${second.id}`, adminCookie)
    assert.equal(res.statusCode, 200)
    const view = res.json()
    assert.deepEqual(view.reconciliation, second.reconciliation)
    assert.equal(view.report.partnerName, 'Marquee')
    assert.equal(view.report.supersedes, delivered[0]!.id)
    assert.equal(view.manifest.halfWidth95, 180)
    assert.equal(view.days.length, 14)
    assert.equal(view.days[0], period.start)

    const tandemRows = second.payload.rows.filter((r) => r.recipientType === 'tandem')
    const sum = (rows: typeof tandemRows, m: 'sends' | 'clicks') => rows.reduce((s, r) => s + r[m], 0)
    for (const dimension of ['interface', 'surface', 'variant'] as const) {
      const series = view.breakdowns[dimension] as Array<{ value: string; sends: number[]; clicks: number[] }>
      assert.deepEqual(
        series.map((s) => s.value),
        second.payload.dimensions[dimension],
      )
      for (const s of series) {
        const rows = tandemRows.filter((r) => r[dimension] === s.value)
        assert.equal(
          s.sends.reduce((a, b) => a + b, 0),
          sum(rows, 'sends'),
        )
        assert.equal(
          s.clicks.reduce((a, b) => a + b, 0),
          sum(rows, 'clicks'),
        )
      }
    }
    // 3 interfaces × 5 surfaces × 2 variants, each with 14 reported and 14 Tandem-counted days.
    assert.equal(view.cells.length, 30)
    const webQuick = view.cells.find(
      (c: { interface: string; surface: string; variant: string }) =>
        c.interface === 'web' && c.surface === 'title_page' && c.variant === 'quick',
    )
    const tandemTotal = webQuick.tandem.sends.reduce((a: number, b: number) => a + b, 0)
    const reportedTotal = webQuick.reported.sends.reduce((a: number, b: number) => a + b, 0)
    assert.ok(reportedTotal < 0.85 * tandemTotal, `${reportedTotal} reported of ${tandemTotal}`)
    assert.ok(
      view.reconciliation.flags.some(
        (f: Reconciliation['flags'][number]) =>
          f.level === 'period' && underReported(f) && f.surface === 'title_page' && f.measure === 'sends',
      ),
    )
  })

  test('an unknown report is 404, a malformed id 400', async () => {
    const unknown = await get('/api/admin/reports/00000000-0000-4000-8000-000000000000', adminCookie)
    assert.equal(unknown.statusCode, 404)
    assert.deepEqual(unknown.json(), { error: { code: 'report_not_found', message: 'report not found' } })
    const bad = await get('/api/admin/reports/nope', adminCookie)
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().error.code, 'validation_failed')
  })
})

describe('the public partner page', () => {
  test('anyone sees the whitelist and the latest final report’s aggregates, without logging in', async () => {
    const res = await get(`/api/public/partners/${partner.clientId}`)
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.equal(body.partner.name, 'Marquee')
    assert.equal(body.partner.homepageUrl, `https://${partner.clientId}.example/`)
    assert.deepEqual(
      body.apis.map((a: { api: string }) => a.api),
      ['activity', 'friends', 'inbox', 'reporting'],
    )
    assert.ok(
      body.apis.every((a: { validUntil: string }) => Date.parse(a.validUntil) > t.clock.now().getTime()),
    )
    // Only the final version of the period; the provisional one it restated is not published.
    assert.equal(body.periods.length, 1)
    const [published] = body.periods
    const final = delivered[1]!
    assert.equal(published.reportId, final.id)
    assert.equal(published.rows.length, final.payload.rows.length)
    const external = published.totals.recipientType.find((s: { value: string }) => s.value === 'external')
    const expected = final.payload.rows
      .filter((r) => r.recipientType === 'external' && r.day === period.start)
      .reduce((s, r) => s + r.sends, 0)
    assert.equal(external.sends[0], expected)
    assert.ok(published.privacy.inPlainWords.some((w: string) => w.includes('±180')))
    assert.equal(JSON.stringify(body).includes('jws'), false)
  })

  test('a partner with no reports has none; an unknown partner is 404, page and API alike', async () => {
    const quiet = (await get(`/api/public/partners/${other.clientId}`)).json()
    assert.deepEqual(quiet.periods, [])
    assert.deepEqual(
      quiet.apis.map((a: { api: string }) => a.api),
      ['inbox'],
    )
    const api = await get('/api/public/partners/no-such-app')
    assert.equal(api.statusCode, 404)
    assert.deepEqual(api.json(), { error: { code: 'partner_not_found', message: 'partner not found' } })
    assert.equal((await get('/partners/no-such-app')).statusCode, 404)
    assert.equal((await get('/partners/NOT%20VALID')).statusCode, 404)
    const page = await get(`/partners/${partner.clientId}`)
    assert.equal(page.statusCode, 200)
    assert.match(page.headers['content-type'] as string, /^text\/html/)
  })
})
