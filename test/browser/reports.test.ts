// Story 6 (DESIGN.md §3), Tandem's side: a partner delivers its signed biweekly report; the admin
// console charts it and shows the reconciliation with a flagged cell (sends under-reported by 20%);
// the public partner page shows the same aggregates to anyone, without logging in.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import * as oidc from 'openid-client'
import type { Browser, Page } from 'playwright-core'
import { signUp } from '../../src/tandem/accounts/accounts.service.ts'
import { partnerResource } from '../../src/tandem/oauth/scopes.ts'
import { partnerClient, registerTestPartner, type TestPartner } from '../../src/tandem/oauth/testing.ts'
import {
  fixtureReport,
  lastPeriod,
  seedTandemCounts,
  signFixtureReport,
} from '../../src/tandem/reports/report-fixtures.ts'
import {
  admin,
  launchBrowser,
  logInThroughUi,
  openBrowserFor,
  type RunningTandem,
  requireChromium,
  screenshots,
  skipWithoutChromium,
  startTandem,
} from './harness.ts'

const underReported = (c: { interface: string; variant: string }) =>
  c.interface === 'web' && c.variant === 'quick'

let tandem: RunningTandem
let browser: Browser
let partner: TestPartner
let period: { start: string; end: string }
const versions: string[] = []

async function deliver(payload: unknown) {
  const config = await partnerClient(tandem.url, partner)
  const token = (
    await oidc.clientCredentialsGrant(config, {
      scope: 'reports.submit',
      resource: partnerResource(tandem.url),
    })
  ).access_token
  const res = await fetch(`${tandem.url}/partner/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose', authorization: `Bearer ${token}` },
    body: await signFixtureReport(payload, partner),
  })
  assert.equal(res.status, 202, await res.clone().text())
  const { id } = (await res.json()) as { id: string }
  versions.push(id)
  return id
}

before(async () => {
  if (skipWithoutChromium) return
  requireChromium()
  tandem = await startTandem()
  browser = await launchBrowser()
  const db = tandem.ctx.db
  const now = new Date()
  await signUp(db, { ...admin, isAdmin: true })
  partner = await registerTestPartner(db, now, { name: 'Marquee' })
  period = lastPeriod(now)
  await seedTandemCounts(db, partner.clientId, period)
  const first = await deliver(
    fixtureReport({ clientId: partner.clientId, period, now, status: 'provisional', seed: 1 }),
  )
  await deliver(
    fixtureReport({
      clientId: partner.clientId,
      period,
      now: new Date(),
      status: 'final',
      supersedes: first,
      seed: 2,
      sendsShare: (c) => (underReported(c) ? 0.8 : 1),
    }),
  )
})

after(async () => {
  await browser?.close()
  await tandem?.close()
})

/** Every chart's SVG is on screen with a real size. */
async function chartSizes(page: Page, selector: string) {
  return page
    .locator(selector)
    .evaluateAll((svgs) =>
      svgs.map((svg) => svg.getBoundingClientRect()).map((r) => [r.width, r.height] as const),
    )
}

test('admin: the partner’s reports, a report’s charts and its reconciliation with a flagged cell', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async () => {
  const user = await openBrowserFor(browser, admin)
  const { page } = user
  await logInThroughUi(tandem.url, user)
  await page.goto(`${tandem.url}/admin/partners/${partner.clientId}`)

  const list = page.getByTestId('reports')
  const rows = list.getByTestId('report-version')
  await rows.nth(1).waitFor()
  assert.deepEqual(
    await rows.evaluateAll((trs) =>
      trs.map((tr) => [(tr as HTMLElement).dataset.status, (tr as HTMLElement).dataset.verdict]),
    ),
    [
      ['final', 'discrepant'],
      ['provisional', 'consistent'],
    ],
  )
  await rows.first().getByText('On time').waitFor()
  await rows.first().getByText('Restates an earlier version').waitFor()
  await rows
    .first()
    .getByRole('link', { name: /Open the final report/ })
    .click()

  const report = page.getByTestId('report-page')
  await report.getByRole('heading', { level: 1, name: /Marquee/ }).waitFor()
  await page.waitForURL(`${tandem.url}/admin/reports/${versions[1]}`)

  // The charts: six breakdowns (3 dimensions × sends, clicks) and the comparison, each an SVG with a size.
  const charts = page.getByTestId('report-charts').locator('svg.chart-svg')
  await charts.nth(5).waitFor()
  const sizes = await chartSizes(page, '[data-testid="report-page"] svg.chart-svg')
  assert.equal(sizes.length, 7)
  for (const [w, h] of sizes) assert.ok(w > 200 && h > 80, `chart of ${w}×${h}`)
  const lines = await page.locator('[data-testid="report-charts"] path.chart-line').count()
  assert.equal(
    lines,
    3 + 3 + 5 + 5 + 2 + 2,
    'one line per interface, surface and variant, for sends and clicks',
  )
  // Accessible: titled and described, with the numbers as a table.
  const first = charts.first()
  assert.match((await first.getAttribute('aria-labelledby')) ?? '', /-title .*-desc$/)
  assert.match((await first.locator('title').textContent()) ?? '', /Sends per day by interface/)
  await page.getByTestId('report-charts').getByText('Show the numbers').first().click()
  await page.getByTestId('report-charts').locator('table').first().getByRole('rowheader').first().waitFor()

  // The comparison opens on the first flagged cell: reported below Tandem's band, flagged days circled.
  const comparison = page.getByTestId('report-comparison')
  assert.equal(await comparison.getByLabel('Cell').inputValue(), 'web|title_page|quick')
  await comparison.getByTestId('comparison-chart').locator('path.chart-band').waitFor()
  assert.ok((await comparison.getByTestId('chart-flag').count()) >= 10, 'most days of the cell are flagged')

  // The reconciliation table: the under-reported cell is flagged, an honest one is not.
  const reconciliation = page.getByTestId('reconciliation')
  await reconciliation.getByTestId('verdict').getByText('Discrepant').waitFor()
  const flagged = reconciliation.locator(
    '[data-testid="reconciliation-row"][data-cell="web|title_page|quick|sends"]',
  )
  assert.equal(await flagged.getAttribute('data-flagged'), 'true')
  await flagged
    .getByTestId('flag')
    .getByText(/^Under by/)
    .waitFor()
  const honest = reconciliation.locator(
    '[data-testid="reconciliation-row"][data-cell="web|title_page|classic|sends"]',
  )
  assert.equal(await honest.getAttribute('data-flagged'), 'false')
  await reconciliation.getByLabel('Only flagged cells').check()
  const shown = await reconciliation
    .getByTestId('reconciliation-row')
    .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.cell ?? ''))
  for (const surface of ['title_page', 'post_play', 'browse_row', 'search', 'watch_party_end']) {
    assert.ok(shown.includes(`web|${surface}|quick|sends`), `web|${surface}|quick among ${shown.join(', ')}`)
  }
  // Honest noise may flag a few other cells, as many as it allows; the under-reported ones are most.
  assert.ok(shown.filter((cell) => !cell.startsWith('web|') || !cell.includes('|quick|')).length <= 3)

  const png = await page.locator('[data-testid="report-comparison"]').screenshot()
  assert.ok(png.length > 5_000, `a comparison chart of ${png.length} bytes`)
  await screenshots(page, 'admin-report')
  await user.context.close()
})

test('the public partner page shows the reported aggregates without logging in', {
  skip: skipWithoutChromium,
  timeout: 60_000,
}, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  const response = await page.goto(`${tandem.url}/partners/${partner.clientId}`)
  assert.equal(response?.status(), 200)
  await page.getByTestId('public-partner-name').getByText('Marquee', { exact: true }).waitFor()
  await page
    .getByTestId('public-apis')
    .getByText(/send recommendations to Tandem inboxes/)
    .waitFor()
  const periods = page.getByTestId('public-period')
  assert.equal(await periods.count(), 1, 'the latest final report of the one period')
  await periods
    .first()
    .getByTestId('privacy-words')
    .getByText(/within ±180 of the true count/)
    .waitFor()
  const sizes = await chartSizes(page, '[data-testid="public-chart"] svg')
  assert.equal(sizes.length, 2)
  for (const [w, h] of sizes) assert.ok(w > 200 && h > 80, `chart of ${w}×${h}`)
  // By recipient type first: on Tandem and by link.
  const legend = await page.getByTestId('public-chart').first().locator('.chart-legend li').allTextContents()
  assert.deepEqual(legend, ['tandem', 'external'])
  await periods.first().getByLabel('Break down by').selectOption('interface')
  assert.deepEqual(
    await page.getByTestId('public-chart').first().locator('.chart-legend li').allTextContents(),
    ['web', 'tv', 'mobile'],
  )
  await screenshots(page, 'public-partner')

  const missing = await page.goto(`${tandem.url}/partners/no-such-app`)
  assert.equal(missing?.status(), 404)
  await page.getByRole('heading', { name: 'Partner not found' }).waitFor()
  await context.close()
})
