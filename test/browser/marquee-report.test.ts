// Story 6, Marquee's side, in Chromium: a report delivered to a real Tandem, then Marquee's admin opens
// the report page: its SVG charts are drawn, visible and of non-zero size (screenshots checked), no
// script runs under the page's CSP, and the CSV link downloads every row.
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { signUp } from '../../src/marquee/accounts/accounts.service.ts'
import { addDays } from '../../src/marquee/reports/builder.ts'
import { deliverReport } from '../../src/marquee/reports/delivery.ts'
import { lastCompletePeriod } from '../../src/marquee/reports/schedule.ts'
import { atHour, ingestEvents, reportEvents } from '../support/report-events.ts'
import { startTwoServers } from '../support/two-servers.ts'
import {
  launchBrowser,
  openBrowserFor,
  type Person,
  requireChromium,
  skipWithoutChromium,
} from './harness.ts'

const DAY_MS = 86_400_000
const admin: Person = {
  username: 'report_admin',
  displayName: 'Report Admin',
  password: 'correct-horse-admin',
}
const periodStart = lastCompletePeriod(new Date(Date.now() - 30 * DAY_MS))
const periodEnd = addDays(periodStart, 13)

let servers: Awaited<ReturnType<typeof startTwoServers>>
let browser: Browser
let versionId: string

before(async () => {
  if (skipWithoutChromium) return
  requireChromium()
  servers = await startTwoServers({
    agreementsFrom: new Date(Date.parse(`${periodStart}T00:00:00Z`) - DAY_MS),
  })
  const { marquee } = servers
  marquee.clock.set(atHour(periodStart))
  await ingestEvents(marquee, reportEvents(periodStart).events)
  marquee.clock.set(atHour(addDays(periodEnd, 6)))
  versionId = (await deliverReport(marquee.ctx, { period: { end: periodEnd } })).version.id
  await signUp(marquee.db, { ...admin, isAdmin: true })
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await servers?.close()
})

async function loggedInPage() {
  const user = await openBrowserFor(browser, admin, { width: 1280, height: 900 })
  const login = await user.context.request.post(`${servers.marquee.origin}/api/login`, {
    data: { username: admin.username, password: admin.password },
    headers: { origin: servers.marquee.origin },
  })
  assert.equal(login.status(), 200, await login.text())
  return user
}

test('the report page shows its charts: SVG, visible, non-zero size, in the screenshot', {
  skip: skipWithoutChromium,
}, async () => {
  const { page, context } = await loggedInPage()
  const violations: string[] = []
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text())
  })
  const res = await page.goto(`${servers.marquee.origin}/reports/${versionId}`)
  assert.equal(res?.status(), 200)
  await page.getByRole('heading', { name: `Partner report ${periodStart} – ${periodEnd}` }).waitFor()
  const charts = page.locator('svg[data-chart]')
  assert.equal(await charts.count(), 9, 'sends and clicks for four dimensions, and click-through per variant')
  for (let i = 0; i < 9; i++) {
    const chart = charts.nth(i)
    await chart.scrollIntoViewIfNeeded()
    assert.ok(await chart.isVisible(), `chart ${i} is visible`)
    const box = await chart.boundingBox()
    assert.ok(box && box.width > 200 && box.height > 100, `chart ${i} has a size: ${JSON.stringify(box)}`)
    // The lines are drawn: the chart holds marks with a size of their own.
    const marks = await chart.locator('polyline, rect, line').count()
    assert.ok(marks > 0, `chart ${i} draws marks`)
    const shot = await chart.screenshot()
    assert.ok(shot.length > 2000, `chart ${i} renders to a non-trivial image (${shot.length} bytes)`)
  }
  // The stylesheet applied (served from /reports/report.css under style-src 'self').
  const columns = await page
    .locator('.charts')
    .evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(' ').length)
  assert.ok(columns >= 2, 'the charts sit in a grid')
  assert.equal(await page.getByTestId('reconciliation-verdict').textContent(), 'consistent')
  await page.getByText('Sample-ratio mismatch').waitFor()
  const full = await page.screenshot({ fullPage: true })
  assert.ok(full.length > 20_000, 'the full page screenshot has content')
  // harness.screenshots injects a style tag, which this page's CSP (rightly) refuses: save it directly.
  if (process.env.SCREENSHOT_DIR)
    await writeFile(join(process.env.SCREENSHOT_DIR, 'marquee-report-desktop.png'), full)
  assert.deepEqual(violations, [])
  await context.close()
})

test('the CSV link downloads every row', { skip: skipWithoutChromium }, async () => {
  const { page, context } = await loggedInPage()
  await page.goto(`${servers.marquee.origin}/reports/${versionId}`)
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download CSV' }).click(),
  ])
  assert.match(
    download.suggestedFilename(),
    new RegExp(`^marquee-report-${periodStart}-final-[0-9a-f]{8}\\.csv$`),
  )
  const path = await download.path()
  const lines = (await readFile(path, 'utf8')).trimEnd().split('\n')
  assert.equal(lines[0], 'day,interface,surface,variant,recipient_type,sends,clicks,unique_clicks')
  assert.equal(lines.length, 1 + 14 * 3 * 5 * 2 * 2)
  await context.close()
})
