// Story 8 (DESIGN.md §3): a Tandem admin registers a partner, creates its agreement for the Inbox and
// Friends APIs valid until a date, sees it in agreement, ends it, and sees it out of agreement.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { exportJWK, generateKeyPair } from 'jose'
import type { Browser } from 'playwright-core'
import { signUp } from '../../src/tandem/accounts/accounts.service.ts'
import {
  admin,
  launchBrowser,
  logInThroughUi,
  openBrowserFor,
  people,
  type RunningTandem,
  requireChromium,
  screenshots,
  skipWithoutChromium,
  startTandem,
} from './harness.ts'

let tandem: RunningTandem
let browser: Browser

before(async () => {
  if (skipWithoutChromium) return
  requireChromium()
  tandem = await startTandem()
  browser = await launchBrowser()
  await signUp(tandem.ctx.db, { ...admin, isAdmin: true })
  await signUp(tandem.ctx.db, people.ana)
})

after(async () => {
  await browser?.close()
  await tandem?.close()
})

/** `days` from today as the YYYY-MM-DD a date input takes. */
const dayFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)

test('the admin console is for admins only', { skip: skipWithoutChromium, timeout: 60_000 }, async () => {
  const ana = await openBrowserFor(browser, people.ana)
  await logInThroughUi(tandem.url, ana)
  assert.equal(await ana.page.getByTestId('nav-admin').count(), 0, 'no Admin link for a non-admin')
  await ana.page.goto(`${tandem.url}/admin`)
  await ana.page.getByTestId('admins-only').getByRole('heading', { name: 'Admins only' }).waitFor()
  await screenshots(ana.page, 'admins-only')
  await ana.context.close()
})

test('admin: register a partner, make its agreement, end it', {
  skip: skipWithoutChromium,
  timeout: 180_000,
}, async () => {
  const user = await openBrowserFor(browser, admin)
  const { page, context } = user
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: tandem.url })
  await logInThroughUi(tandem.url, user)

  await page.getByTestId('nav-admin').click()
  await page.getByTestId('admin-page').getByText('No partner apps yet').waitFor()

  // Register Marquee with a pasted JWK Set.
  const { publicKey } = await generateKeyPair('ES256', { extractable: true })
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'marquee-2026', alg: 'ES256', use: 'sig' }] }
  await page.getByTestId('register-partner').click()
  const form = page.getByTestId('register-partner-page')
  await form.getByLabel('Name').fill('Marquee')
  await form.getByLabel('Homepage URL').fill('https://marquee.example/')
  await form.getByLabel('Privacy policy URL').fill('https://marquee.example/privacy')
  await form.getByLabel('Redirect URIs').fill('https://marquee.example/auth/tandem/callback')
  await form.getByLabel('Paste a JWK Set').check()
  await form.getByLabel('JWK Set (JSON)').fill(JSON.stringify(jwks, null, 2))
  await form.getByLabel('Webhook URL (optional)').fill('https://marquee.example/webhooks/tandem')
  await screenshots(page, 'admin-register')
  await form.getByRole('button', { name: 'Register partner' }).click()

  // The webhook secret, shown once, with a warning and a copy button.
  const created = page.getByTestId('partner-created')
  await created.getByText('this is the only time it is shown').waitFor()
  const secret = await created.getByTestId('webhook-secret').inputValue()
  assert.match(secret, /^whsec_[A-Za-z0-9_-]{40,}$/)
  const clientId = (await created.getByTestId('created-client-id').textContent()) ?? ''
  assert.match(clientId, /^marquee-[a-z0-9]{6}$/)
  await created.getByRole('button', { name: 'Copy' }).click()
  await created.getByText('Copied to the clipboard.').waitFor()
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret)
  await screenshots(page, 'admin-secret')
  await created.getByRole('link', { name: 'I have stored it: open Marquee' }).click()

  // Its page: registration as given, no agreement yet.
  await page.getByTestId('partner-name').getByText('Marquee', { exact: true }).waitFor()
  const compliance = page.getByTestId('compliance')
  await compliance.getByTestId('agreement-state').getByText('Out of agreement').waitFor()
  await compliance.getByTestId('recipient-controls').getByText('Users who muted it').waitFor()
  await page.getByTestId('registration').getByText('marquee-2026').waitFor()
  assert.equal(await page.getByText(secret).count(), 0, 'the secret is not shown again')

  // An agreement for Inbox and Friends, valid until a date, reports every 14 days.
  const until = dayFromNow(120)
  const create = page.getByTestId('new-agreement')
  await create.getByLabel(/^Inbox/).check()
  await create.getByLabel(/^Friends/).check()
  await create.getByLabel('Valid until').fill(until)
  await create.getByLabel('Report every (days)').fill('14')
  await create.getByRole('button', { name: 'Create agreement' }).click()
  await create.getByTestId('agreement-outcome').getByText('Created: Inbox v1, Friends v1').waitFor()
  const rows = page.getByTestId('agreement-row')
  await page.locator('[data-testid="agreement-row"][data-status="active"]').nth(1).waitFor()
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.api)), [
    'inbox',
    'friends',
  ])
  await compliance.getByTestId('agreement-state').getByText('In agreement').waitFor()
  await page.getByTestId('agreement-timeline').waitFor()
  // Each change is told to the partner by webhook; the log lists them.
  await page.getByRole('button', { name: 'Refresh' }).click()
  await page.getByTestId('delivery').nth(1).waitFor()
  await screenshots(page, 'admin-partner-active')

  // The overview shows it in agreement.
  await page.getByRole('link', { name: 'Admin console' }).click()
  const row = page.locator(`[data-testid="partner-row"][data-client-id="${clientId}"]`)
  await row.getByText('In agreement').waitFor()
  await row.getByText('Inbox, Friends').waitFor()
  await screenshots(page, 'admin-overview')

  // Extend the Inbox agreement: version 2 takes over, version 1 is kept as superseded.
  await row.getByRole('link', { name: 'Marquee' }).click()
  await page.getByRole('button', { name: 'Extend Inbox v1' }).click()
  await page.getByLabel('New valid-until date for Inbox v1').fill(dayFromNow(240))
  await page.getByRole('button', { name: 'Extend', exact: true }).click()
  await page.getByRole('rowheader', { name: /Inbox v2/ }).waitFor()
  await page.getByRole('button', { name: 'Show 1 superseded version' }).waitFor()

  // End both agreements, with a reason: the partner is out of agreement.
  // Each end is confirmed by the server (its row turns ended) before the next is started.
  for (const [ended, name] of [
    [0, 'Inbox v2'],
    [1, 'Friends v1'],
  ] as const) {
    await page.getByRole('button', { name: `End ${name}`, exact: true }).click()
    await page.getByLabel(`Why end ${name}`).fill('Partner asked to pause the integration')
    await page.getByRole('button', { name: 'End agreement' }).click()
    await page.locator('[data-testid="agreement-row"][data-status="ended"]').nth(ended).waitFor()
  }
  await compliance.getByTestId('agreement-state').getByText('Out of agreement').waitFor()
  await page
    .getByTestId('agreements-table')
    .getByText('Partner asked to pause the integration')
    .first()
    .waitFor()

  // A delivery that gave up can be retried from the log.
  await tandem.ctx.db
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', attempts: 8, last_status: 503, next_attempt_at: null })
    .where('client_id', '=', clientId)
    .where('event_type', '=', 'agreement.ended')
    .execute()
  await page.getByRole('button', { name: 'Refresh' }).click()
  const failed = page.locator('[data-testid="delivery"][data-status="failed"]')
  await failed.nth(1).waitFor()
  await page.getByTestId('delivery-chart').getByText('Failed 2').waitFor()
  await screenshots(page, 'admin-partner-ended')
  await failed
    .first()
    .getByRole('button', { name: /^Retry/ })
    .click()
  await page.locator('[data-testid="delivery"][data-status="failed"]').nth(1).waitFor({ state: 'detached' })

  await page.getByRole('link', { name: 'Admin console' }).click()
  await row.getByText('Out of agreement').waitFor()
  await row.getByText('1 failure').waitFor()
  // No one muted or reported this partner yet.
  await row.getByTestId('recipient-controls-cell').getByText('None').waitFor()
})
