// The biweekly partner report end to end, across a real Tandem and a real listening Marquee: events
// recorded through Marquee's ingest for a past 14-day period, the scheduled delivery (202 with
// Tandem's reconciliation), a restatement chained by supersedes, an overspend refused with nothing
// sent, the CLI's dry run, the admin report page with its SVG charts, and the CSV.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { decodeProtectedHeader } from 'jose'
import { signUp } from '../src/marquee/accounts/accounts.service.ts'
import { addDays } from '../src/marquee/reports/builder.ts'
import { deliverReport } from '../src/marquee/reports/delivery.ts'
import { runReportCommand } from '../src/marquee/reports/report-command.ts'
import { selectReportVersions } from '../src/marquee/reports/reports.repository.ts'
import { lastCompletePeriod, runScheduledReport } from '../src/marquee/reports/schedule.ts'
import { atHour, ingestEvents, reportEvents } from './support/report-events.ts'
import { startTwoServers } from './support/two-servers.ts'

const DAY_MS = 86_400_000
let servers: Awaited<ReturnType<typeof startTwoServers>>
// A period that ended about a month ago, on the schedule's 14-day steps.
const periodStart = lastCompletePeriod(new Date(Date.now() - 30 * DAY_MS))
const periodEnd = addDays(periodStart, 13)
const truth = { sends: 0, uniqueClicks: 0 }

const tandemReports = () =>
  servers.tandem.db
    .selectFrom('partner_reports')
    .select(['id', 'supersedes', 'status'])
    .orderBy('received_at')
    .execute()

before(async () => {
  servers = await startTwoServers({
    agreementsFrom: new Date(Date.parse(`${periodStart}T00:00:00Z`) - DAY_MS),
  })
  const { marquee } = servers
  marquee.clock.set(atHour(periodStart))
  const seeded = reportEvents(periodStart)
  Object.assign(truth, seeded.truth)
  await ingestEvents(marquee, seeded.events)
})

after(async () => {
  await servers?.close()
})

describe('the partner report, delivered to a real Tandem', () => {
  let first: string
  let firstVersion: string

  test('the schedule delivers the last complete period: 202 with a reconciliation, signed with the registered key', async () => {
    const { marquee } = servers
    // Three days after the period's last day: provisional, and due at Tandem.
    marquee.clock.set(atHour(addDays(periodEnd, 3), 1))
    const outcome = await runScheduledReport(marquee.ctx)
    assert.equal(outcome.action, 'delivered')
    assert.equal(outcome.period, periodStart)
    const { version, receipt } = outcome.delivery
    assert.equal(version.status, 'provisional')
    assert.equal(version.epsilonPerDay, 0.5, 'a provisional version leaves half the day for the final one')
    assert.ok(receipt.id)
    const reconciliation = receipt.reconciliation as { verdict: string; flags: unknown[] }
    assert.equal(reconciliation.verdict, 'consistent')
    assert.deepEqual(version.reconciliation, receipt.reconciliation)
    assert.equal(version.tandemReportId, receipt.id)

    const jwks = (await (await fetch(`${marquee.origin}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; alg: string }[]
    }
    const header = decodeProtectedHeader(version.jws)
    assert.equal(header.alg, 'EdDSA')
    assert.equal(header.kid, jwks.keys.find((k) => k.alg === 'EdDSA')!.kid)

    const atTandem = await tandemReports()
    assert.deepEqual(
      atTandem.map((r) => [r.id, r.supersedes, r.status]),
      [[receipt.id, null, 'provisional']],
    )
    first = receipt.id
    firstVersion = version.id

    // Run again: what Tandem holds is skipped.
    const again = await runScheduledReport(marquee.ctx)
    assert.equal(again.action, 'skipped')
    assert.equal((await tandemReports()).length, 1)
  })

  test('a second delivery is a restatement: final, naming Tandem’s id of the first in supersedes', async () => {
    const { marquee } = servers
    marquee.clock.set(atHour(addDays(periodEnd, 6)))
    const stages: string[] = []
    const delivery = await deliverReport(marquee.ctx, {
      period: { end: periodEnd },
      onStage: (s) => stages.push(s),
    })
    assert.deepEqual(stages, ['reading', 'noising', 'signing', 'storing', 'delivering'])
    assert.equal(delivery.version.status, 'final')
    assert.equal(delivery.version.supersedes, firstVersion)
    const payload = JSON.parse(Buffer.from(delivery.version.jws.split('.')[1]!, 'base64url').toString())
    assert.equal(payload.supersedes, first)
    const atTandem = await tandemReports()
    assert.deepEqual(
      atTandem.map((r) => [r.id, r.supersedes, r.status]),
      [
        [first, null, 'provisional'],
        [delivery.receipt.id, first, 'final'],
      ],
    )
  })

  test('an overspend is refused with a clear error and nothing is sent', async () => {
    const { marquee } = servers
    await assert.rejects(
      deliverReport(marquee.ctx, { period: { end: periodEnd }, epsilonPerDay: 0.1 }),
      (error: { status: number; code: string; message: string }) => {
        assert.equal(error.status, 409)
        assert.equal(error.code, 'privacy_budget_exceeded')
        assert.match(
          error.message,
          /day \d{4}-\d{2}-\d{2} has ε = 1 spent; 0\.1 more would pass its limit of 1/,
        )
        return true
      },
    )
    assert.equal((await tandemReports()).length, 2, 'Tandem has no new version')
    assert.equal((await selectReportVersions(marquee.db, periodStart)).length, 2)
  })

  test('the CLI’s dry run without noise shows the exact totals and the budget, spending nothing', async () => {
    const { marquee } = servers
    let out = ''
    let progress = ''
    const code = await runReportCommand(
      marquee.ctx,
      { periodEnd, dryRun: true, noNoise: true },
      { out: (t) => (out += t), progress: { write: (t) => (progress += t) } },
    )
    assert.equal(code, 0)
    assert.match(
      out,
      new RegExp(`sends ${truth.sends}, clicks ${truth.uniqueClicks}, uniqueClicks ${truth.uniqueClicks}`),
    )
    assert.match(out, /a delivery would be REFUSED/)
    assert.match(progress, /reading rollups/)
    assert.match(progress, /5\/5 done/)
    assert.equal((await tandemReports()).length, 2)
  })

  describe('for people', () => {
    let adminCookie: string
    let viewerCookie: string
    const login = async (username: string, isAdmin: boolean) => {
      await signUp(servers.marquee.db, {
        username,
        displayName: username,
        password: 'correct horse battery',
        isAdmin,
      })
      const res = await fetch(`${servers.marquee.origin}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: servers.marquee.origin },
        body: JSON.stringify({ username, password: 'correct horse battery' }),
      })
      assert.equal(res.status, 200, await res.text())
      return res.headers.getSetCookie()[0]!.split(';')[0]!
    }
    const get = (path: string, cookie?: string) =>
      fetch(`${servers.marquee.origin}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' })

    before(async () => {
      adminCookie = await login('report_admin', true)
      viewerCookie = await login('report_viewer', false)
    })

    test('the list and the report page are for Marquee’s admins only', async () => {
      const anonymous = await get('/reports')
      assert.equal(anonymous.status, 302)
      assert.equal(anonymous.headers.get('location'), '/login?next=%2Freports')
      assert.equal((await get('/reports', viewerCookie)).status, 403)
      const api = await get('/api/reports', viewerCookie)
      assert.equal(api.status, 403)
      assert.deepEqual(await api.json(), {
        error: { code: 'admin_only', message: 'this needs an administrator' },
      })
      const list = await get('/reports', adminCookie)
      assert.equal(list.status, 200)
      const html = await list.text()
      assert.match(html, new RegExp(periodStart))
      assert.equal((html.match(/href="\/reports\/[0-9a-f-]{36}"/g) ?? []).length, 2)
    })

    test('the report page draws its charts as inline SVG, under a strict CSP', async () => {
      const [latest] = (await selectReportVersions(servers.marquee.db, periodStart)).slice(-1)
      const res = await get(`/reports/${latest!.id}`, adminCookie)
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /text\/html/)
      const csp = res.headers.get('content-security-policy') ?? ''
      assert.match(csp, /script-src 'none'/)
      assert.match(csp, /style-src 'self'/)
      assert.match(csp, /img-src 'self' data:/)
      const html = await res.text()
      assert.doesNotMatch(html, /<script/i)
      const charts = html.match(/<svg[^>]*data-chart="[^"]+"/g) ?? []
      for (const name of [
        'sends-interface',
        'clicks-interface',
        'sends-surface',
        'sends-variant',
        'sends-recipientType',
        'ctr-variant',
      ])
        assert.ok(
          charts.some((c) => c.includes(`data-chart="${name}"`)),
          `chart ${name}`,
        )
      assert.match(html, /Sample-ratio mismatch/)
      assert.match(html, /consistent/)
      assert.match(html, /ε per day/)
      assert.match(html, /half-width/)
      assert.match(html, /clipped/)
      assert.match(html, new RegExp(`href="/reports/${latest!.id}.csv"`))

      const json = await get(`/api/reports/${latest!.id}`, adminCookie)
      assert.equal(json.status, 200)
      const body = (await json.json()) as { report: { id: string; payload: { rows: unknown[] } } }
      assert.equal(body.report.id, latest!.id)
      assert.equal(body.report.payload.rows.length, 14 * 3 * 5 * 2 * 2)
    })

    test('the CSV has a header and one row per cell, as an attachment', async () => {
      const [latest] = (await selectReportVersions(servers.marquee.db, periodStart)).slice(-1)
      const res = await get(`/reports/${latest!.id}.csv`, adminCookie)
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /text\/csv/)
      assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="marquee-report-/)
      const lines = (await res.text()).trimEnd().split('\n')
      assert.equal(lines[0], 'day,interface,surface,variant,recipient_type,sends,clicks,unique_clicks')
      assert.equal(lines.length, 1 + 14 * 3 * 5 * 2 * 2)
      assert.match(lines[1]!, new RegExp(`^${periodStart},web,title_page,classic,tandem,\\d+,\\d+,\\d+$`))
      assert.equal((await get('/reports/00000000-0000-4000-8000-000000000000', adminCookie)).status, 404)
    })
  })
})
