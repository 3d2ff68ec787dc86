// DESIGN.md stories 2, 3, 4, 5 and 7 in Chromium, across a real Tandem and a real Marquee, each on its own
// port with its own database, registered with each other as the demo start script does:
//  2. Ben and Ana connect Marquee to Tandem through Tandem's consent screen; Ben grants only some scopes.
//  3. After a film ends, Ana shares from post-play with Ben (an app friend) and Cleo (a suggestion);
//     both find "Ana Lima via Marquee" with a title card in their Tandem inbox.
//  4. Cleo clicks: Tandem's shim counts it, Marquee's landing page confirms it and invites her to join.
//  7. "Share what I watch on Tandem": off by default, its own consent, publishes while on, stops when off,
//     lapses two years after it was given (Marquee's clock is injected).
//  5. Ana opens Connected apps on Tandem: the grant, the ledger, Revoke; Marquee's next call fails, and its
//     signed deletion receipt shows on Ana's page.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { ManualClock } from '../../src/lib/clock.ts'
import { createTestDatabase, type TestDatabase } from '../../src/lib/testing/test-db.ts'
import { signUp as marqueeSignUp } from '../../src/marquee/accounts/accounts.service.ts'
import { buildMarqueeApp, type MarqueeApp } from '../../src/marquee/app.ts'
import { testMarqueeConfig } from '../../src/marquee/config.ts'
import type { MarqueeDatabase } from '../../src/marquee/db.ts'
import { migrations } from '../../src/marquee/migrations/index.ts'
import { saveTandemRegistration } from '../../src/marquee/tandem-link/registration.ts'
import { registerDemoPartner } from '../../src/tandem/demo.ts'
import { freePort } from '../../src/tandem/oauth/testing.ts'
import {
  launchBrowser,
  logInThroughUi,
  openBrowserFor,
  type Person,
  people,
  type RunningTandem,
  requireChromium,
  screenshots,
  seedFriends,
  skipWithoutChromium,
  startTandem,
  type User,
} from './harness.ts'

const DAY_MS = 86_400_000
const DESKTOP_CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const marqueeWebDir = join(import.meta.dirname, '../../dist/marquee-web')

interface RunningMarquee extends MarqueeApp {
  url: string
  clock: ManualClock
  database: TestDatabase<MarqueeDatabase>
  close(): Promise<void>
}

async function startMarquee(tandemUrl: string): Promise<RunningMarquee> {
  const database = await createTestDatabase<MarqueeDatabase>('marquee', migrations)
  const port = await freePort()
  const url = `http://localhost:${port}`
  const clock = new ManualClock(new Date())
  const config = testMarqueeConfig({
    env: 'development',
    webDir: marqueeWebDir,
    publicOrigin: url,
    tandem: { issuer: tandemUrl, clientId: undefined, webhookSecret: undefined },
  })
  const marquee = await buildMarqueeApp({ config, database, clock })
  await marquee.app.listen({ host: '127.0.0.1', port })
  return {
    ...marquee,
    url,
    clock,
    database,
    async close() {
      await marquee.app.close()
      await database.drop()
    },
  }
}

let tandem: RunningTandem
let marquee: RunningMarquee
let browser: Browser
let ana: User
let ben: User
let cleo: User

before(async () => {
  if (skipWithoutChromium) return
  requireChromium()
  tandem = await startTandem()
  marquee = await startMarquee(tandem.url)
  browser = await launchBrowser()
  // As `npm start` does: Marquee registered on Tandem with its agreements, the webhook secret kept by Marquee.
  const registered = await registerDemoPartner(tandem.ctx.db, tandem.ctx, marquee.url)
  assert.ok(registered)
  await saveTandemRegistration(marquee.ctx, registered)
  const actors = await seedFriends(tandem, [people.ana, people.ben, people.cleo])
  // Cleo lets friends' apps suggest themselves to her; she has no Marquee account.
  await tandem.ctx.db
    .updateTable('users')
    .set({ allow_suggestions: true })
    .where('id', '=', actors.cleo!.userId)
    .execute()
  for (const person of [people.ana, people.ben]) await marqueeSignUp(marquee.ctx.db, person)
  ana = await openBrowserFor(browser, people.ana)
  ben = await openBrowserFor(browser, people.ben)
  // Cleo browses as people do: headless Chromium says "HeadlessChrome", which Marquee rightly takes for a bot.
  cleo = await openBrowserFor(browser, people.cleo, undefined, { userAgent: DESKTOP_CHROME })
})

after(async () => {
  await browser?.close()
  await marquee?.close()
  await tandem?.close()
})

async function logInToMarquee(user: User): Promise<void> {
  const { page, person } = user
  await page.goto(`${marquee.url}/login`)
  await page.getByLabel('Username').fill(person.username)
  await page.getByLabel('Password', { exact: true }).fill(person.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByTestId('me-name').getByText(person.displayName).waitFor({ state: 'attached' })
}

/** On Tandem's screens: sign in if asked, untick what the person refuses, allow; back on Marquee. */
async function consentOnTandem(page: Page, person: Person, refuse: string[] = []): Promise<void> {
  const signIn = page.getByRole('button', { name: 'Sign in' })
  const allow = page.getByRole('button', { name: 'Allow', exact: true })
  await signIn.or(allow).first().waitFor()
  if (await signIn.isVisible()) {
    await page.getByLabel('Username').fill(person.username)
    await page.getByLabel('Password').fill(person.password)
    await signIn.click()
  }
  await allow.waitFor()
  // Story 2: what Marquee asks, one line of purpose per scope, on Tandem's own screen.
  await page.getByRole('heading', { name: 'Marquee would like to:' }).waitFor()
  for (const scope of refuse) await page.locator(`input[data-scope="${scope}"]`).uncheck()
  await allow.click()
  // Past Marquee's callback (the code exchange), on the page it sends the person back to.
  await page.waitForURL((url) => url.origin === marquee.url && !url.pathname.startsWith('/auth/'))
}

async function connectFromSettings(user: User, refuse: string[] = []): Promise<void> {
  const { page, person } = user
  await page.goto(`${marquee.url}/settings`)
  await page.getByTestId('tandem-section').getByTestId('connect-tandem').click()
  await page.waitForURL((url) => url.origin === tandem.url)
  await consentOnTandem(page, person, refuse)
  await page.goto(`${marquee.url}/settings`)
  await page.getByTestId('tandem-connected').waitFor()
}

/** Tandem in this person's browser: signed in already (through the consent screens) or signing in now. */
async function openTandem(user: User): Promise<void> {
  const { page } = user
  await page.goto(`${tandem.url}/`)
  const chats = page.getByTestId('nav-chats')
  await chats.or(page.getByLabel('Username')).first().waitFor()
  if (!(await chats.isVisible())) await logInThroughUi(tandem.url, user)
}

const scopeRow = (page: Page, scope: string) =>
  page.locator(`[data-testid="tandem-scopes"] [data-scope="${scope}"]`)

/** Any catalogue title, from Marquee's API. */
async function titles(limit: number): Promise<{ id: string; name: string }[]> {
  const res = await marquee.app.inject({ method: 'GET', url: `/api/titles?limit=${limit}` })
  return (res.json() as { titles: { id: string; name: string }[] }).titles
}

test('stories 2, 3, 4, 7 and 5 across Tandem and Marquee', {
  skip: skipWithoutChromium,
  timeout: 420_000,
}, async () => {
  // ---- Story 2: connect, with a partial grant for Ben and everything offered for Ana.
  await logInToMarquee(ben)
  await connectFromSettings(ben, ['friends.suggest'])
  assert.equal(await scopeRow(ben.page, 'recommendations.send').getAttribute('data-granted'), 'true')
  assert.equal(await scopeRow(ben.page, 'friends.suggest').getAttribute('data-granted'), 'false')
  await screenshots(ben.page, 'marquee-partial-grant')

  await logInToMarquee(ana)
  await connectFromSettings(ana)
  for (const scope of ['recommendations.send', 'friends.app', 'friends.suggest']) {
    assert.equal(await scopeRow(ana.page, scope).getAttribute('data-granted'), 'true', scope)
  }

  // ---- Story 3: a film ends; Ana shares from post-play with Ben (app friend) and Cleo (suggestion).
  const [film, second, third] = await titles(3)
  assert.ok(film && second && third)
  const { page } = ana
  await page.goto(`${marquee.url}/titles/${encodeURIComponent(film.id)}`)
  await page.getByTestId('play-button').click()
  await page.getByTestId('player').waitFor()
  await page.getByTestId('player-skip-end').click()
  await page.getByTestId('post-play').waitFor()
  await page.getByTestId('post-play-share').click()
  const dialog = page.getByTestId('share-dialog')
  await dialog
    .locator('[data-state="ready"]')
    .or(dialog.and(page.locator('[data-state="ready"]')))
    .first()
    .waitFor()
  const benRow = dialog
    .locator('[data-testid="recipient-row"][data-kind="friend"]')
    .filter({ hasText: 'Ben Okafor' })
  const cleoRow = dialog
    .locator('[data-testid="recipient-row"][data-kind="suggestion"]')
    .filter({ hasText: 'Cleo Park' })
  await benRow.waitFor()
  await cleoRow.waitFor()
  await screenshots(page, 'marquee-share-dialog')
  const send = dialog.getByTestId('share-send')
  if ((await send.count()) > 0) {
    // Variant `classic`: tick, then send.
    await benRow.click()
    await cleoRow.click()
    await send.click()
  } else {
    // Variant `quick`: one tap each sends after the undo window.
    await benRow.click()
    await cleoRow.click()
  }
  const results = dialog.getByTestId('share-results')
  for (const key of [
    await benRow.getAttribute('data-recipient'),
    await cleoRow.getAttribute('data-recipient'),
  ]) {
    await results
      .locator(`[data-testid="share-result"][data-recipient="${key}"][data-status="sent"]`)
      .waitFor({
        timeout: 20_000,
      })
  }
  await screenshots(page, 'marquee-share-sent')

  // Ben and Cleo find it in their Tandem inbox, labelled with the partner, as a title card.
  for (const user of [ben, cleo]) {
    await openTandem(user)
    await user.page.getByTestId('inbox').getByText(people.ana.displayName).first().click()
    const card = user.page
      .getByTestId('message-list')
      .getByTestId('title-card')
      .filter({ hasText: film.name })
    await card.waitFor()
    await user.page
      .getByTestId('message-list')
      .getByTestId('via-label')
      .getByText(`${people.ana.displayName} via Marquee`, { exact: true })
      .first()
      .waitFor()
  }

  // ---- Story 4: Cleo clicks; the shim counts it and Marquee's landing page confirms it and invites her.
  const card = cleo.page.getByTestId('message-list').getByTestId('title-card').filter({ hasText: film.name })
  // Listen on the context before the click: the landing page may confirm before its Page is handed over.
  const confirmed = cleo.context.waitForEvent('response', {
    predicate: (res) => /\/r\/[^/]+\/confirm$/.test(new URL(res.url()).pathname),
    timeout: 30_000,
  })
  const [landing] = await Promise.all([cleo.context.waitForEvent('page'), card.click()])
  await landing.waitForURL((url) => url.origin === marquee.url && url.pathname.startsWith('/r/'))
  assert.equal((await confirmed).status(), 204)
  await landing.getByRole('heading', { name: film.name }).waitFor()
  await landing.getByRole('link', { name: 'Join Marquee' }).waitFor()
  await screenshots(landing, 'marquee-landing')
  await tandem.ctx.clicks.flush()
  const shimClicks = await tandem.ctx.db
    .selectFrom('link_clicks')
    .select((eb) => eb.fn.sum<number>('clicks').as('n'))
    .executeTakeFirstOrThrow()
  assert.ok(Number(shimClicks.n) >= 1, "Tandem's shim counted the click")
  const rollup = await marquee.ctx.db
    .selectFrom('share_rollups')
    .select((eb) => [eb.fn.sum<number>('sends').as('sends'), eb.fn.sum<number>('clicks').as('clicks')])
    .where('recipient_type', '=', 'tandem')
    .executeTakeFirstOrThrow()
  assert.deepEqual({ sends: Number(rollup.sends), clicks: Number(rollup.clicks) }, { sends: 2, clicks: 1 })
  await landing.close()

  // ---- Story 7: "Share what I watch on Tandem".
  const activityToggle = page.getByRole('switch', { name: 'Share what I watch on Tandem' })
  await page.goto(`${marquee.url}/settings`)
  assert.equal(await activityToggle.getAttribute('aria-checked'), 'false', 'off by default')
  await activityToggle.click()
  // A consent of its own: Tandem asks for activity.publish.
  await page.waitForURL((url) => url.origin === tandem.url)
  await consentOnTandem(page, people.ana)
  await page.goto(`${marquee.url}/settings`)
  await page.getByRole('switch', { name: 'Share what I watch on Tandem', checked: true }).waitFor()
  await page
    .getByTestId('activity-consent')
    .getByText(/lapses on/)
    .waitFor()

  const watch = async (title: { id: string }) => {
    await page.goto(`${marquee.url}/titles/${encodeURIComponent(title.id)}`)
    await page.getByTestId('play-button').click()
    await page.getByTestId('player').waitFor()
    await page.getByTestId('player-exit').click()
  }
  const anaProfile = async () => {
    await ben.page.goto(`${tandem.url}/u/${people.ana.username}`)
    await ben.page.getByTestId('profile-name').getByText(people.ana.displayName).waitFor()
  }
  await watch(second)
  await anaProfile()
  await ben.page.getByTestId('activity-item').getByText(`Ana is watching ${second.name} on Marquee`).waitFor()
  await screenshots(ben.page, 'tandem-profile-activity')

  // Turned off: nothing more is published.
  await page.goto(`${marquee.url}/settings`)
  await activityToggle.click()
  await page.getByRole('switch', { name: 'Share what I watch on Tandem', checked: false }).waitFor()
  await watch(third)
  await anaProfile()
  await ben.page.getByTestId('activity-item').first().waitFor()
  assert.equal(await ben.page.getByTestId('activity-item').getByText(third.name).count(), 0)

  // On again, then two years and a day later the consent has lapsed: nothing is published.
  await page.goto(`${marquee.url}/settings`)
  await activityToggle.click()
  if (new URL(page.url()).origin === tandem.url) await consentOnTandem(page, people.ana)
  await page.goto(`${marquee.url}/settings`)
  await page.getByRole('switch', { name: 'Share what I watch on Tandem', checked: true }).waitFor()
  marquee.clock.advance(731 * DAY_MS)
  await logInToMarquee(ana)
  await page.goto(`${marquee.url}/settings`)
  await page.getByRole('switch', { name: 'Share what I watch on Tandem', checked: false }).waitFor()
  await page
    .getByTestId('activity-consent')
    .getByText(/lapsed/)
    .waitFor()
  const [fourth] = (await titles(6)).slice(5)
  assert.ok(fourth)
  await watch(fourth)
  await anaProfile()
  await ben.page.getByTestId('activity-item').first().waitFor()
  assert.equal(await ben.page.getByTestId('activity-item').getByText(fourth.name).count(), 0)

  // ---- Story 5: Connected apps on Tandem: the grant, the ledger, Revoke, and the deletion receipt.
  await openTandem(ana)
  await page.goto(`${tandem.url}/connected-apps`)
  await page
    .getByTestId('connected-apps')
    .getByRole('link', { name: /Marquee/ })
    .first()
    .click()
  await page
    .getByTestId('ledger')
    .getByText(/recommendations\.send/)
    .first()
    .waitFor()
  await screenshots(page, 'tandem-connected-marquee')
  await page.getByTestId('revoke').click()
  await page.getByTestId('revoke-confirm').getByRole('button', { name: 'Revoke Marquee' }).click()
  await page.getByTestId('revoked-notice').waitFor()

  // Marquee's next call for Ana fails at once: she is no longer connected there.
  await page.goto(`${marquee.url}/settings`)
  const friends = await page.evaluate(async () => (await fetch('/api/tandem/friends')).status)
  assert.ok(friends >= 400 && friends < 500, `Marquee's call after revocation answered ${friends}`)

  // Tandem's webhooks reach Marquee, which answers with a signed deletion receipt Ana then sees.
  for (let i = 0; i < 3; i++) await tandem.webhooks.runOnce()
  await page.goto(`${tandem.url}/connected-apps`)
  const revoked = page.getByTestId('disconnected-apps').locator('[data-client-id="marquee"]')
  await revoked
    .getByText(/receipt/i)
    .first()
    .waitFor({ timeout: 20_000 })
  await screenshots(page, 'tandem-deletion-receipt')
})
