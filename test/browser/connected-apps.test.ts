// Story 5 (DESIGN.md §3): Ana opens Connected apps → Marquee: what she granted, every call Marquee
// made for her (the ledger), and Revoke. Marquee's next call fails at once; Marquee answers with a
// signed deletion receipt that Ana can see. Also SECURITY.md row 48: partner text shows as text.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, test } from 'node:test'
import { CompactSign } from 'jose'
import type { Browser } from 'playwright-core'
import { signUp } from '../../src/tandem/accounts/accounts.service.ts'
import { appendLedgerEntry } from '../../src/tandem/ledger/ledger.service.ts'
import { upsertPartnerGrant } from '../../src/tandem/oauth/grants.repository.ts'
import {
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
import { authorizeInBrowser, type Partner, partnerGet, redeem, registerPartner } from './partner-flow.ts'

let tandem: RunningTandem
let browser: Browser
let marquee: Partner
let anaId: string

// More than one page of the ledger (20 rows), so "Load more" has something to load.
const PARTNER_CALLS = 23

before(async () => {
  if (skipWithoutChromium) return
  requireChromium()
  tandem = await startTandem()
  browser = await launchBrowser()
  marquee = await registerPartner(tandem, 'Marquee')
  anaId = (await signUp(tandem.ctx.db, people.ana)).id
})

after(async () => {
  await browser?.close()
  await tandem?.close()
})

/** A receipt as the partner's server signs it: a compact JWS with the key it registered. */
async function signReceipt(partner: Partner, claims: Record<string, unknown>) {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', kid: partner.kid })
    .sign(partner.privateKey)
}

test('connected apps: grants, the ledger, download, verify, revoke and the deletion receipt', {
  skip: skipWithoutChromium,
  timeout: 180_000,
}, async () => {
  const ana = await openBrowserFor(browser, people.ana)
  const { page } = ana
  await logInThroughUi(tandem.url, ana)

  // Before connecting anything: the empty state says what connected apps are.
  await page.getByTestId('nav-apps').click()
  await page.getByTestId('connected-apps-empty').waitFor()
  await page.getByText('Connect with Tandem').waitFor()
  await screenshots(page, 'connected-apps-empty')

  // Ana connects Marquee, leaving out suggestions; signed in already, Tandem goes straight to consent.
  const authorization = await authorizeInBrowser(page, tandem, marquee, people.ana, {
    refuse: ['friends.suggest'],
  })
  const tokens = await redeem(marquee, authorization)
  let sub = ''
  for (let i = 0; i < PARTNER_CALLS; i++) {
    const me = await partnerGet(tandem, '/partner/v1/me', tokens.access_token)
    assert.equal(me.status, 200)
    sub = String(me.body?.id)
  }

  // Another partner whose name and ledger details carry markup: it must show as text.
  const hostile = await registerPartner(tandem, '<img src=x onerror="window.pwned=1">Evil & Co')
  await upsertPartnerGrant(tandem.ctx.db, {
    grantId: `grant-${hostile.clientId}`,
    userId: anaId,
    clientId: hostile.clientId,
    scopes: ['openid', 'profile'],
    now: new Date(),
  })
  await tandem.ctx.db.transaction().execute((trx) =>
    appendLedgerEntry(trx, tandem.ctx.clock, {
      userId: anaId,
      clientId: hostile.clientId,
      scope: 'profile',
      action: 'profile.read',
      objectCount: 1,
      purpose: '<b>show</b> who is connected',
      details: { note: '<script>window.pwned=2</script>' },
    }),
  )

  // The list: both apps, the hostile name as literal text.
  await page.goto(`${tandem.url}/connected-apps`)
  const list = page.getByTestId('connected-apps')
  const marqueeRow = list.locator(`[data-client-id="${marquee.clientId}"]`)
  await marqueeRow.getByText('4 permissions').waitFor()
  const hostileRow = list.locator(`[data-client-id="${hostile.clientId}"]`)
  await hostileRow.getByText('<img src=x onerror="window.pwned=1">Evil & Co', { exact: true }).waitFor()
  assert.equal(await list.locator('img').count(), 0, 'no partner markup became an element')
  await screenshots(page, 'connected-apps-list')

  // The hostile app's page: its ledger shows the markup as text too.
  await hostileRow.getByRole('link', { name: 'Manage' }).click()
  const hostileLedger = page.getByTestId('ledger-entry')
  await hostileLedger.getByText('<b>show</b> who is connected', { exact: true }).waitFor()
  await hostileLedger.getByText('note: <script>window.pwned=2</script>').waitFor()
  assert.equal(await page.evaluate(() => (window as { pwned?: number }).pwned), undefined)

  // Marquee's page: what Ana allowed, one purpose per scope, and every call it made.
  await page.goto(`${tandem.url}/connected-apps`)
  await page.getByRole('link', { name: 'Marquee', exact: true }).click()
  await page.getByTestId('app-name').getByText('Marquee', { exact: true }).waitFor()
  assert.equal(
    await page.getByTestId('app-homepage').getAttribute('href'),
    `https://${marquee.clientId}.example/`,
  )
  const scopes = page.getByTestId('scope')
  await scopes.first().waitFor()
  const granted = await scopes.evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.scope))
  assert.deepEqual(granted.sort(), ['friends.app', 'openid', 'profile', 'recommendations.send'])
  await scopes.getByText('See which of your friends also use Marquee').waitFor()
  const entries = page.getByTestId('ledger-entry')
  await entries.nth(19).waitFor()
  assert.equal(await entries.count(), 20, 'the first page')
  await page.getByRole('button', { name: 'Load more' }).click()
  await entries.nth(PARTNER_CALLS - 1).waitFor()
  assert.equal(await entries.count(), PARTNER_CALLS, 'one ledger row per partner call')
  await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' })
  await entries.first().getByText('profile.read').waitFor()
  await entries.first().getByText('show who is connected').waitFor()

  // Download the ledger as CSV: a header and one line per call.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download CSV' }).click(),
  ])
  assert.equal(download.suggestedFilename(), `tandem-ledger-${marquee.clientId}.csv`)
  const csv = await readFile(await download.path(), 'utf8')
  const lines = csv.trimEnd().split('\r\n')
  assert.equal(lines[0], 'seq,createdAt,clientId,scope,action,objectCount,purpose,details,prevHash,hash')
  assert.equal(lines.length, 1 + PARTNER_CALLS)

  // Verify: the whole ledger (Marquee's calls and the other app's) holds together.
  await page.getByRole('button', { name: 'Verify ledger' }).click()
  await page
    .getByTestId('ledger-verification')
    .getByText(`all ${PARTNER_CALLS + 1} entries`)
    .waitFor()
  await screenshots(page, 'connected-app')

  // Revoke, after a confirm step that says what happens.
  await page.getByTestId('revoke').click()
  const confirm = page.getByTestId('revoke-confirm')
  await confirm.getByText('Its access stops now.').waitFor()
  await confirm.getByText('signed deletion receipt').waitFor()
  await screenshots(page, 'connected-app-revoke')
  const [revoked] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(marquee.clientId)),
    confirm.getByRole('button', { name: 'Revoke Marquee' }).click(),
  ])
  assert.equal(revoked.status(), 200)
  const requestId = (await revoked.json()).disconnected.deletionRequests[0].id as string

  // Marquee's very next call fails.
  const refused = await partnerGet(tandem, '/partner/v1/me', tokens.access_token)
  assert.equal(refused.status, 401)

  // Ana sees it revoked, with the deletion request pending, on its page and in the list.
  await page.getByTestId('revoked-notice').waitFor()
  await page.locator('[data-testid="deletion-status"][data-status="requested"]').waitFor()
  await page.getByRole('link', { name: 'Connected apps' }).first().click()
  const gone = page.getByTestId('disconnected-apps').locator(`[data-client-id="${marquee.clientId}"]`)
  await gone.locator('[data-testid="deletion-status"][data-status="requested"]').waitFor()
  await gone.getByText('Deletion requested').waitFor()
  await screenshots(page, 'connected-apps-revoked')

  // Marquee's server answers the deletion request with a signed receipt.
  const receipt = await signReceipt(marquee, {
    iss: marquee.clientId,
    aud: tandem.url,
    iat: Math.floor(Date.now() / 1000),
    requestId,
    sub,
    deletedAt: new Date().toISOString(),
    categories: ['tandem_tokens', 'app_friend_ids'],
  })
  const posted = await fetch(`${tandem.url}/partner/v1/deletion-receipts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ receipt }),
  })
  assert.equal(posted.status, 201)

  // After a reload, Ana sees that Marquee deleted her data, and what.
  await page.reload()
  const done = page.getByTestId('disconnected-apps').locator(`[data-client-id="${marquee.clientId}"]`)
  await done.locator('[data-testid="deletion-status"][data-status="received"]').waitFor()
  await done.getByText('Data deleted').waitFor()
  await done.getByText('app_friend_ids', { exact: true }).waitFor()
  await screenshots(page, 'connected-apps-receipt')

  // An app that never sends its receipt shows as overdue once the due date passes.
  await page.getByRole('link', { name: 'Manage' }).click()
  await page.getByTestId('revoke').click()
  await page
    .getByTestId('revoke-confirm')
    .getByRole('button', { name: /^Revoke / })
    .click()
  await page.locator('[data-testid="deletion-status"][data-status="requested"]').waitFor()
  await tandem.ctx.db
    .updateTable('deletion_requests')
    .set({ due_at: new Date(Date.now() - 86_400_000) })
    .where('client_id', '=', hostile.clientId)
    .execute()
  await page.goto(`${tandem.url}/connected-apps`)
  const late = page.getByTestId('disconnected-apps').locator(`[data-client-id="${hostile.clientId}"]`)
  await late
    .locator('[data-testid="deletion-status"][data-status="overdue"]')
    .getByText('Deletion overdue')
    .waitFor()
  await screenshots(page, 'connected-apps-overdue')
})
