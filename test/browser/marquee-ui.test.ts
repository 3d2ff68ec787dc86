// The Marquee web client in Chromium against a real Marquee: sign up, browse, search, a title page,
// play → skip to end → post-play, the interface switcher, and sharing a title by copied link.
// Parts whose server modules are not in this build yet are skipped, with the reason.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { createTestDatabase, type TestDatabase } from '../../src/lib/testing/test-db.ts'
import { buildMarqueeApp, type MarqueeApp } from '../../src/marquee/app.ts'
import { testMarqueeConfig } from '../../src/marquee/config.ts'
import type { MarqueeDatabase } from '../../src/marquee/db.ts'
import { migrations } from '../../src/marquee/migrations/index.ts'
import { freePort } from '../../src/tandem/oauth/testing.ts'
import {
  CHROMIUM,
  launchBrowser,
  openBrowserFor,
  type Person,
  skipWithoutChromium,
  type User,
} from './harness.ts'

const webDir = join(import.meta.dirname, '../../dist/marquee-web')

interface RunningMarquee extends MarqueeApp {
  url: string
  database: TestDatabase<MarqueeDatabase>
  close(): Promise<void>
}

/** A real Marquee on a free port with a fresh database and the built web client. */
async function startMarquee(): Promise<RunningMarquee> {
  const database = await createTestDatabase<MarqueeDatabase>('marquee', migrations)
  const port = await freePort()
  const url = `http://localhost:${port}`
  // development: session cookies without Secure, so plain http works.
  const config = testMarqueeConfig({ env: 'development', webDir, publicOrigin: url })
  const marquee = await buildMarqueeApp({ config, database })
  await marquee.app.listen({ host: '127.0.0.1', port })
  return {
    ...marquee,
    url,
    database,
    async close() {
      await marquee.app.close()
      await database.drop()
    },
  }
}

let marquee: RunningMarquee
let browser: Browser
/** Which server modules this build has; a missing one skips the tests that need it. */
const has = { catalog: false, tandem: false, shares: false }
let counter = 0

before(async () => {
  if (skipWithoutChromium) return
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}`)
  if (!existsSync(join(webDir, 'index.html')))
    throw new Error(
      `the Marquee web client is not built in ${webDir}: run npx vite build -c vite.marquee.config.ts`,
    )
  marquee = await startMarquee()
  browser = await launchBrowser()
  const probe = async (method: 'GET' | 'POST', url: string) =>
    (await marquee.app.inject({ method, url, payload: method === 'POST' ? {} : undefined })).statusCode !==
    404
  has.catalog = await probe('GET', '/api/genres')
  has.tandem = await probe('GET', '/api/tandem')
  has.shares = await probe('POST', '/api/shares')
})

after(async () => {
  await browser?.close()
  await marquee?.close()
})

function newPerson(): Person {
  counter += 1
  const suffix = `${counter}${Math.random().toString(36).slice(2, 6)}`
  return { username: `viewer_${suffix}`, displayName: `Viewer ${counter}`, password: 'correct-horse-marquee' }
}

async function signUp(viewport?: { width: number; height: number }, query = ''): Promise<User> {
  const user = await openBrowserFor(browser, newPerson(), viewport)
  const { page, person } = user
  await page.goto(`${marquee.url}/signup${query}`)
  await page.getByLabel('Username').fill(person.username)
  await page.getByLabel('Display name').fill(person.displayName)
  await page.getByLabel('Password', { exact: true }).fill(person.password)
  await page.getByRole('button', { name: 'Sign up' }).click()
  await page.getByTestId('me-name').getByText(person.displayName).waitFor({ state: 'attached' })
  return user
}

/** Any catalogue title, straight from the API. */
async function someTitle(): Promise<{ id: string; name: string; year: number }> {
  const res = await marquee.app.inject({ method: 'GET', url: '/api/titles?limit=5' })
  const { titles } = res.json() as { titles: { id: string; name: string; year: number }[] }
  assert.ok(titles.length > 0, 'the catalogue has titles')
  return titles[0]!
}

const activeTestId = (page: Page) =>
  page.evaluate(() => document.activeElement?.closest('[data-testid]')?.getAttribute('data-testid'))

test('sign up, log out, log in again', { skip: skipWithoutChromium, timeout: 120_000 }, async () => {
  const user = await signUp()
  const { page, person } = user
  await page.getByTestId('nav-home').waitFor()
  await page.getByTestId('logout').click()
  await page.getByRole('heading', { name: 'Welcome back' }).waitFor()
  await page.getByLabel('Username').fill(person.username)
  await page.getByLabel('Password', { exact: true }).fill('wrong password!')
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('alert').getByText('That username and password do not match.').waitFor()
  await page.getByLabel('Password', { exact: true }).fill(person.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByTestId('me-name').getByText(person.displayName).waitFor()
  await user.context.close()
})

test('browse rows scroll by keyboard and lead to a title page', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async (t) => {
  if (!has.catalog) return t.skip('the catalogue module is not in this build')
  const { page, context } = await signUp()
  const rows = page.getByTestId('browse-row')
  await rows.first().waitFor()
  assert.ok((await rows.count()) >= 3, 'several browse rows')
  const first = rows.first()
  const cards = first.getByTestId('title-card')
  assert.ok((await cards.count()) >= 3, 'a row holds several titles')

  // One tab stop per row; arrows move along it.
  await first.locator('.tile-link').first().focus()
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('ArrowRight')
  const focusedId = await page.evaluate(() =>
    document.activeElement?.closest('[data-title-id]')?.getAttribute('data-title-id'),
  )
  assert.equal(
    focusedId,
    await cards.nth(2).getAttribute('data-title-id'),
    'ArrowRight moved to the third title',
  )
  assert.equal(
    await first.locator('.tile-link[tabindex="0"]').count(),
    1,
    'one title of the row is in the tab order',
  )
  await page.keyboard.press('Home')
  assert.equal(
    await page.evaluate(() =>
      document.activeElement?.closest('[data-title-id]')?.getAttribute('data-title-id'),
    ),
    await cards.first().getAttribute('data-title-id'),
  )

  // Enter opens the title page with everything on it.
  const name = (await cards.first().locator('.tile-name').textContent()) ?? ''
  await page.keyboard.press('Enter')
  const titlePage = page.getByTestId('title-page')
  await titlePage.waitFor()
  assert.equal(await page.getByTestId('title-name').textContent(), name)
  assert.match((await page.getByTestId('title-year').textContent()) ?? '', /^\d{4}$/)
  assert.match((await page.getByTestId('title-runtime').textContent()) ?? '', /min|h/)
  assert.ok(((await page.getByTestId('title-synopsis').textContent()) ?? '').length > 10)
  await page.getByTestId('play-button').waitFor()
  await page.getByTestId('share-button').waitFor()
  await titlePage.getByRole('heading', { name: /Because you watched/ }).waitFor()
  await titlePage.getByRole('heading', { name: 'Friends might like' }).waitFor()
  assert.equal(
    await page.evaluate(() => document.activeElement?.tagName),
    'H1',
    'focus moved to the new page',
  )
  const poster = titlePage.locator('img.title-poster')
  assert.ok(
    await poster.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
    'the poster loaded',
  )
  await context.close()
})

test('search finds a title and opens it', { skip: skipWithoutChromium, timeout: 120_000 }, async (t) => {
  if (!has.catalog) return t.skip('the catalogue module is not in this build')
  const title = await someTitle()
  const { page, context } = await signUp()
  await page.getByTestId('nav-search').click()
  const input = page.getByTestId('search-input')
  assert.equal(await activeTestId(page), 'search-input', 'the search field has focus')
  await input.fill(title.name)
  const result = page.locator(`[data-testid="search-result"][data-title-id="${title.id}"]`)
  await result.waitFor()
  assert.match(page.url(), /\/search\?q=/, 'the query is in the address')
  await result.getByTestId('title-card-share').waitFor({ state: 'attached' })
  await result.locator('.tile-link').click()
  await page.getByTestId('title-name').getByText(title.name, { exact: true }).waitFor()

  await page.getByTestId('nav-search').click()
  await page.getByTestId('search-input').fill('zzqx no such title qqz')
  await page.getByText(/No titles match/).waitFor()
  await context.close()
})

test('play, skip to the end, post-play, then history', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async (t) => {
  if (!has.catalog) return t.skip('the catalogue module is not in this build')
  const title = await someTitle()
  const { page, context } = await signUp()
  await page.goto(`${marquee.url}/titles/${encodeURIComponent(title.id)}`)
  await page.getByTestId('play-button').click()
  const player = page.getByTestId('player')
  await player.waitFor()
  assert.equal(await player.getAttribute('data-state'), 'playing')
  assert.equal(await activeTestId(page), 'player-play-pause', 'the play button has focus')

  // The clock runs in accelerated time.
  const progress = page.getByTestId('player-progress')
  await page.waitForFunction(
    () =>
      Number(document.querySelector('[data-testid="player-progress"]')?.getAttribute('data-position')) >= 60,
  )
  // Pause holds the position; seeking forward moves it.
  await page.getByTestId('player-play-pause').click()
  assert.equal(await player.getAttribute('data-state'), 'paused')
  const paused = Number(await progress.getAttribute('data-position'))
  await page.waitForTimeout(600)
  assert.equal(Number(await progress.getAttribute('data-position')), paused, 'paused means paused')
  await page.getByTestId('player-forward').click()
  assert.equal(Number(await progress.getAttribute('data-position')), paused + 300)

  // Progress reached the server.
  await page.waitForFunction(async (id) => {
    const res = await fetch('/api/history')
    const { history } = (await res.json()) as {
      history: { title: { id: string }; watch: { positionSeconds: number } }[]
    }
    return history.some((h) => h.title.id === id && h.watch.positionSeconds > 0)
  }, title.id)

  await page.getByTestId('player-skip-end').click()
  const postPlay = page.getByTestId('post-play')
  await postPlay.waitFor()
  assert.equal(await page.getByTestId('post-play-title').textContent(), title.name)
  await page.getByTestId('post-play-share').waitFor()
  assert.equal(await activeTestId(page), 'post-play-title', 'post-play takes focus')

  await page.getByTestId('nav-history').click()
  const item = page.locator(`[data-testid="history-item"][data-title-id="${title.id}"]`)
  await item.getByText(/^Finished \w/).waitFor()
  await context.close()
})

test('the interface switcher changes the layout and is remembered', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async () => {
  const { page, context } = await signUp({ width: 1280, height: 800 })
  const shell = page.getByTestId('app-shell')
  assert.equal(await shell.getAttribute('data-interface'), 'web', 'a laptop-wide screen starts on web')
  await page.getByTestId('nav-settings').click()
  const switcher = page.getByTestId('interface-switcher')

  await switcher.getByText('TV', { exact: true }).click()
  await page.locator('[data-testid="app-shell"][data-interface="tv"]').waitFor()
  const tvFont = await shell.evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize))
  assert.ok(tvFont >= 18, `TV text is large (${tvFont}px)`)

  // TV: arrow keys move focus between controls on screen.
  await page.getByTestId('nav-home').focus()
  await page.keyboard.press('ArrowRight')
  assert.equal(await activeTestId(page), 'nav-search', 'ArrowRight moves to the next control')
  if (has.catalog) {
    // Down from a poster lands on a poster of the next row.
    await page.getByTestId('nav-home').click()
    const rows = page.getByTestId('browse-row')
    await rows.nth(1).waitFor()
    await rows.first().locator('.tile-link').first().focus()
    await page.keyboard.press('ArrowDown')
    const rowOf = () =>
      page.evaluate(() => {
        const row = document.activeElement?.closest('[data-testid="browse-row"]')
        return row ? [...document.querySelectorAll('[data-testid="browse-row"]')].indexOf(row) : -1
      })
    assert.equal(await rowOf(), 1, 'ArrowDown moved to the second row')
    assert.ok(await page.evaluate(() => document.activeElement?.classList.contains('tile-link')))
    await page.keyboard.press('ArrowUp')
    assert.equal(await rowOf(), 0, 'ArrowUp came back')
    // Enter opens the title; the remote's Back returns.
    await page.keyboard.press('Enter')
    await page.getByTestId('title-page').waitFor()
    await page.keyboard.press('Escape')
    await page.getByTestId('browse-row').first().waitFor()
    assert.equal(new URL(page.url()).pathname, '/')
  }

  await page.getByTestId('nav-settings').click()
  await switcher.getByText('Mobile', { exact: true }).click()
  await page.getByTestId('bottom-nav').waitFor()
  assert.equal(await page.locator('.top-nav').count(), 0, 'mobile has a bottom bar instead of top navigation')
  const width = await shell.evaluate((el) => el.getBoundingClientRect().width)
  assert.ok(width <= 480, `mobile is one phone-wide column (${width}px)`)

  // Remembered across a reload; ?interface= picks another and is remembered too.
  await page.reload()
  await page.locator('[data-testid="app-shell"][data-interface="mobile"]').waitFor()
  await page.goto(`${marquee.url}/settings?interface=tv`)
  await page.locator('[data-testid="app-shell"][data-interface="tv"]').waitFor()
  assert.doesNotMatch(page.url(), /interface=/, 'the parameter is consumed')
  await page.goto(`${marquee.url}/`)
  await page.locator('[data-testid="app-shell"][data-interface="tv"]').waitFor()
  await context.close()

  // With no choice, a phone-wide screen gets the mobile interface.
  const phone = await signUp({ width: 390, height: 844 })
  await phone.page.locator('[data-testid="app-shell"][data-interface="mobile"]').waitFor()
  assert.ok(
    await phone.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    'nothing scrolls sideways at 390 px',
  )
  await phone.context.close()
})

test('share a title by copied link without Tandem', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async (t) => {
  if (!has.catalog || !has.tandem || !has.shares)
    return t.skip('the catalogue, Tandem link or sharing module is not in this build')
  const title = await someTitle()
  const { page, context } = await signUp()
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: marquee.url })
  await page.goto(`${marquee.url}/titles/${encodeURIComponent(title.id)}`)
  await page.getByTestId('share-button').click()
  const dialog = page.getByTestId('share-dialog')
  await page.locator('[data-testid="share-dialog"][data-state="ready"]').waitFor()
  assert.equal(await dialog.getAttribute('data-surface'), 'title_page')

  // Not connected: the dialog offers Connect with Tandem, and links still work.
  const connect = dialog.getByTestId('connect-tandem')
  assert.match((await connect.getAttribute('href')) ?? '', /^\/auth\/tandem\/start\?.*returnTo=%2Ftitles%2F/)
  const shares: { body: Record<string, unknown>; key: string | undefined }[] = []
  page.on('request', (req) => {
    if (req.url().endsWith('/api/shares') && req.method() === 'POST')
      shares.push({ body: req.postDataJSON(), key: req.headers()['idempotency-key'] })
  })

  const copyLink = dialog.locator('[data-testid="recipient-row"][data-recipient="external:copy_link"]')
  const variant = await dialog.getAttribute('data-variant')
  if (variant === 'quick') await copyLink.click()
  else {
    await copyLink.click()
    await dialog.getByTestId('share-send').click()
  }
  const result = dialog.locator('[data-testid="share-result"][data-recipient="external:copy_link"]')
  await result.waitFor()
  await page.waitForFunction(
    () =>
      document
        .querySelector('[data-testid="share-result"][data-recipient="external:copy_link"]')
        ?.getAttribute('data-status') !== 'pending',
  )
  const link = await dialog.getByTestId('share-link-url').inputValue()
  assert.match(link, /\/r\/[A-Za-z0-9_-]+/, `a tracked link (${link})`)
  assert.equal(
    await page.evaluate(() => navigator.clipboard.readText()),
    link,
    'the link is on the clipboard',
  )

  assert.equal(shares.length, 1)
  assert.deepEqual(shares[0]!.body, {
    titleId: title.id,
    interface: 'web',
    surface: 'title_page',
    recipients: [{ type: 'external', channel: 'copy_link' }],
  })
  assert.match(shares[0]!.key ?? '', /^[0-9a-f-]{36}$/, 'an Idempotency-Key per submit')

  // Escape closes the dialog and focus returns to the Share button.
  await page.keyboard.press('Escape')
  await dialog.waitFor({ state: 'detached' })
  assert.equal(await activeTestId(page), 'share-button')
  await context.close()
})

// What Tandem would say, stubbed at the browser's network edge: these tests are about how the dialog and
// settings adapt to grants and variants; the cross-server tests drive the real connection.
interface Stubs {
  scopes: string[]
  variant: 'classic' | 'quick'
  friends?: { appFriends?: unknown[]; suggestions?: unknown[] }
  activity?: { enabled: boolean; consentedAt: string | null; lapsesAt: string | null; lapsed: boolean }
}

async function stubTandem(page: Page, stubs: Stubs) {
  const json = (body: unknown, status = 200) => ({
    status,
    contentType: 'application/json',
    body: JSON.stringify(body),
  })
  await page.route('**/api/experiments', (route) =>
    route.fulfill(json({ assignments: { share_dialog: stubs.variant } })),
  )
  await page.route('**/api/tandem', (route) =>
    route.request().method() === 'GET'
      ? route.fulfill(
          json({
            tandem: {
              connected: true,
              scopes: stubs.scopes,
              connectedAt: '2026-11-01T10:00:00.000Z',
              activity: stubs.activity ?? {
                enabled: false,
                consentedAt: null,
                lapsesAt: null,
                lapsed: false,
              },
            },
          }),
        )
      : route.fallback(),
  )
  await page.route('**/api/tandem/friends', (route) => route.fulfill(json(stubs.friends ?? {})))
  const sent: {
    body: { recipients: unknown[]; surface: string; interface: string; note?: string }
    key: string
  }[] = []
  await page.route('**/api/shares', (route) => {
    const body = route.request().postDataJSON()
    sent.push({ body, key: route.request().headers()['idempotency-key'] ?? '' })
    const shares = (body.recipients as { id?: string; handle?: string; channel?: string }[]).map((r, i) => ({
      id: `00000000-0000-4000-8000-00000000000${i}`,
      recipient: r.id ?? r.handle ?? r.channel,
      recipientType: r.channel ? 'external' : 'tandem',
      status: r.handle ? 'not_delivered' : r.channel ? 'created' : 'sent',
      ...(r.channel && { url: `${marquee.url}/r/stubbedtoken${i}` }),
    }))
    return route.fulfill(json({ shares }, 201))
  })
  return sent
}

const ben = { id: 'app_ben_1', name: 'Ben Okafor', avatarUrl: null }
const cleo = {
  handle: 'sugg_cleo_1',
  name: 'Cleo Park',
  avatarUrl: null,
  expiresAt: '2030-01-01T00:00:00.000Z',
}

test('classic share dialog from a browse row: app friends only, as granted', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async (t) => {
  if (!has.catalog) return t.skip('the catalogue module is not in this build')
  const { page, context } = await signUp()
  const sent = await stubTandem(page, {
    scopes: ['openid', 'recommendations.send', 'friends.app'],
    variant: 'classic',
    friends: { appFriends: [ben] },
  })
  await page.goto(`${marquee.url}/`)
  const card = page.getByTestId('browse-row').first().getByTestId('title-card').first()
  await card.hover()
  await card.getByTestId('title-card-share').click()
  const dialog = page.locator('[data-testid="share-dialog"][data-state="ready"]')
  await dialog.waitFor()
  assert.equal(await dialog.getAttribute('data-variant'), 'classic')
  assert.equal(await dialog.getAttribute('data-surface'), 'browse_row')
  assert.equal(await dialog.getByTestId('connect-tandem').count(), 0, 'connected: no connect prompt')
  assert.equal(
    await dialog.getByTestId('recipient-group-suggestions').count(),
    0,
    'no suggestions without friends.suggest',
  )
  await dialog
    .getByTestId('grant-notes')
    .getByText(/suggest itself to friends who are not on Marquee/)
    .waitFor()

  const row = dialog.locator(`[data-testid="recipient-row"][data-recipient="friend:${ben.id}"]`)
  await row.getByText(ben.name).waitFor()
  assert.equal(await dialog.getByTestId('share-send').isDisabled(), true, 'nothing chosen yet')
  await row.getByRole('checkbox').check()
  await dialog.getByLabel('Add a note (optional)').fill('You will love this')
  await dialog.getByTestId('share-send').click()
  await dialog
    .locator(`[data-testid="share-result"][data-recipient="friend:${ben.id}"][data-status="sent"]`)
    .waitFor()
  assert.equal(sent.length, 1)
  assert.deepEqual(sent[0]!.body.recipients, [{ type: 'tandem', id: ben.id }])
  assert.equal(sent[0]!.body.surface, 'browse_row')
  assert.equal(sent[0]!.body.note, 'You will love this')

  // A second submit is a new request with a new key.
  await dialog.locator('[data-recipient="external:email"]').getByRole('checkbox').check()
  await dialog.getByTestId('share-send').click()
  await dialog
    .locator('[data-testid="share-result"][data-recipient="external:email"][data-status="created"]')
    .waitFor()
  await dialog.getByTestId('share-email-link').waitFor()
  assert.equal(sent.length, 2)
  assert.notEqual(sent[0]!.key, sent[1]!.key)
  await context.close()
})

test('quick share dialog from search on TV: one tap sends after an undo window', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async (t) => {
  if (!has.catalog) return t.skip('the catalogue module is not in this build')
  const title = await someTitle()
  const { page, context } = await signUp({ width: 1280, height: 800 }, '?interface=tv')
  const sent = await stubTandem(page, {
    scopes: ['openid', 'recommendations.send', 'friends.app', 'friends.suggest'],
    variant: 'quick',
    friends: { appFriends: [ben], suggestions: [cleo] },
  })
  await page.goto(`${marquee.url}/search?q=${encodeURIComponent(title.name)}`)
  const result = page.locator(`[data-testid="search-result"][data-title-id="${title.id}"]`)
  await result.getByTestId('title-card-share').click()
  const dialog = page.locator('[data-testid="share-dialog"][data-state="ready"]')
  await dialog.waitFor()
  assert.equal(await dialog.getAttribute('data-variant'), 'quick')
  assert.equal(await dialog.getAttribute('data-surface'), 'search')
  await dialog.getByTestId('recipient-group-suggestions').getByText(cleo.name).waitFor()

  // Tap, then undo: nothing is sent.
  const cleoChip = dialog.locator(`[data-testid="recipient-row"][data-recipient="suggestion:${cleo.handle}"]`)
  await cleoChip.click()
  assert.equal(await cleoChip.getAttribute('data-state'), 'queued')
  await dialog.getByTestId('share-undo').click()
  assert.equal(await cleoChip.getAttribute('data-state'), 'idle')

  // Tap Ben and leave it: it goes out after the undo window, with the TV interface.
  const benChip = dialog.locator(`[data-testid="recipient-row"][data-recipient="friend:${ben.id}"]`)
  await benChip.click()
  await dialog
    .locator(`[data-testid="share-result"][data-recipient="friend:${ben.id}"][data-status="sent"]`)
    .waitFor()
  assert.equal(sent.length, 1, 'one send, the undone one never left')
  assert.deepEqual(sent[0]!.body.recipients, [{ type: 'tandem', id: ben.id }])
  assert.equal(sent[0]!.body.interface, 'tv')
  assert.equal(sent[0]!.body.surface, 'search')

  // A suggestion Tandem did not deliver says so.
  await cleoChip.click()
  await dialog
    .locator(
      `[data-testid="share-result"][data-recipient="suggestion:${cleo.handle}"][data-status="not_delivered"]`,
    )
    .waitFor({ timeout: 15_000 })
  assert.deepEqual(sent[1]!.body.recipients, [{ type: 'tandem', handle: cleo.handle }])
  await context.close()
})

test('settings: partial grants explained, activity consent and its lapse, history sharing', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async (t) => {
  if (!has.tandem) return t.skip('the Tandem link module is not in this build')
  const { page, context } = await signUp()
  await stubTandem(page, {
    scopes: ['openid', 'recommendations.send'],
    variant: 'classic',
    activity: {
      enabled: false,
      consentedAt: '2024-01-10T00:00:00.000Z',
      lapsesAt: '2026-01-10T00:00:00.000Z',
      lapsed: true,
    },
  })
  await page.route('**/api/tandem/activity', (route) =>
    route.fulfill({
      status: 409,
      contentType: 'application/json',
      body: JSON.stringify({
        error: {
          code: 'consent_required',
          message: 'grant activity.publish first',
          details: { authorizeUrl: `${marquee.url}/stub-consent?scope=activity.publish` },
        },
      }),
    }),
  )
  await page.goto(`${marquee.url}/settings`)
  const section = page.getByTestId('tandem-section')
  await page.locator('[data-testid="tandem-section"][data-connected="true"]').waitFor()
  const scope = (name: string) => section.locator(`[data-scope="${name}"]`)
  assert.equal(await scope('recommendations.send').getAttribute('data-granted'), 'true')
  assert.equal(await scope('friends.suggest').getAttribute('data-granted'), 'false')
  await scope('friends.suggest')
    .getByText(/no suggestions section/)
    .waitFor()
  await page.getByTestId('disconnect-tandem').waitFor()

  // The watch-activity switch is off, says its consent lapsed, and asks Tandem for consent when turned on.
  const toggle = page.getByTestId('activity-toggle')
  assert.equal(await toggle.getAttribute('aria-checked'), 'false')
  await page
    .getByTestId('activity-consent')
    .getByText(/lapsed/)
    .waitFor()
  await toggle.click()
  await page.waitForURL(/\/stub-consent\?scope=activity\.publish$/)

  // Friends seeing my history: a real PATCH /api/me.
  await page.goto(`${marquee.url}/settings`)
  const history = page.getByTestId('share-history-toggle')
  assert.equal(await history.getAttribute('aria-checked'), 'false')
  await history.click()
  await page.locator('[data-testid="share-history-toggle"][aria-checked="true"]').waitFor()
  await page.reload()
  await page.locator('[data-testid="share-history-toggle"][aria-checked="true"]').waitFor()
  await context.close()
})

test('back from Connect with Tandem, the share dialog reopens where it was', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async (t) => {
  if (!has.catalog || !has.tandem) return t.skip('the catalogue or Tandem link module is not in this build')
  const title = await someTitle()
  const { page, context } = await signUp()
  await page.goto(`${marquee.url}/watch/${encodeURIComponent(title.id)}`)
  await page.getByTestId('player-skip-end').click()
  await page.getByTestId('post-play-share').click()
  const dialog = page.locator('[data-testid="share-dialog"][data-state="ready"]')
  await dialog.waitFor()
  const href = (await dialog.getByTestId('connect-tandem').getAttribute('href')) ?? ''
  const returnTo = new URL(href, marquee.url).searchParams.get('returnTo') ?? ''
  assert.equal(
    returnTo,
    `/titles/${encodeURIComponent(title.id)}?share=${encodeURIComponent(title.id)}&surface=post_play`,
  )

  // What Marquee's callback redirects to after Tandem's consent screen.
  await page.goto(`${marquee.url}${returnTo}&tandem=connected`)
  await page
    .getByTestId('tandem-result')
    .getByText(/Tandem is connected/)
    .waitFor()
  const reopened = page.locator('[data-testid="share-dialog"][data-state="ready"][data-surface="post_play"]')
  await reopened.waitFor()
  await page.waitForURL((url) => url.search === '')
  await context.close()
})

test('joining from a shared link goes on to the title (?next=)', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async (t) => {
  if (!has.catalog) return t.skip('the catalogue module is not in this build')
  const title = await someTitle()
  const next = `/titles/${encodeURIComponent(title.id)}`
  const { page, context, person } = await signUp(undefined, `?next=${encodeURIComponent(next)}`)
  await page.getByTestId('title-name').getByText(title.name, { exact: true }).waitFor()
  assert.equal(new URL(page.url()).pathname, next)

  // Only paths on this site are followed.
  await page.getByTestId('logout').click()
  await page.goto(`${marquee.url}/login?next=${encodeURIComponent('//evil.example/x')}`)
  await page.getByLabel('Username').fill(person.username)
  await page.getByLabel('Password', { exact: true }).fill(person.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByTestId('nav-home').waitFor()
  assert.equal(page.url(), `${marquee.url}/`)

  // A page the server answers itself (here the reports, for administrators) is loaded from the server.
  await page.getByTestId('logout').click()
  await page.goto(`${marquee.url}/reports`)
  assert.equal(new URL(page.url()).pathname, '/login')
  await page.getByLabel('Username').fill(person.username)
  await page.getByLabel('Password', { exact: true }).fill(person.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByText('Reports are for administrators.').waitFor()
  assert.equal(new URL(page.url()).pathname, '/reports')
  await context.close()
})
