import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { createTestDatabase, type TestDatabase } from '../../src/lib/testing/test-db.ts'
import { type Actor, signUp } from '../../src/tandem/accounts/accounts.service.ts'
import { buildTandemApp, type TandemApp } from '../../src/tandem/app.ts'
import { testTandemConfig } from '../../src/tandem/config.ts'
import type { TandemDatabase } from '../../src/tandem/db.ts'
import { createThread, sendMessage } from '../../src/tandem/messaging/messaging.service.ts'
import { migrations } from '../../src/tandem/migrations/index.ts'
import { freePort } from '../../src/tandem/oauth/testing.ts'
import { requestFriend } from '../../src/tandem/social/social.service.ts'

export const CHROMIUM = '/usr/bin/chromium'
const root = join(import.meta.dirname, '../..')
const webDir = join(root, 'dist/tandem-web')

const missingChromium = `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium); browser tests need it`

/**
 * The `skip` option for a browser test: a reason to skip where Chromium is missing, except in CI,
 * where the test runs and fails on `requireChromium` instead.
 */
export const skipWithoutChromium: string | false =
  existsSync(CHROMIUM) || process.env.CI ? false : `${missingChromium}; skipping`

export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) throw new Error(missingChromium)
  if (!existsSync(join(webDir, 'index.html'))) {
    throw new Error(`the web client is not built in ${webDir}: run npm run build first`)
  }
}

export interface RunningTandem extends TandemApp {
  url: string
  database: TestDatabase<TandemDatabase>
  close(): Promise<void>
}

/**
 * A real Tandem on a free port with a fresh database and the built web client. Its public origin
 * is the address the browser uses, so OAuth's issuer, redirects and audiences match what it sees.
 */
export async function startTandem(): Promise<RunningTandem> {
  const database = await createTestDatabase<TandemDatabase>('tandem', migrations)
  const port = await freePort()
  const url = `http://localhost:${port}`
  // development: session cookies without Secure, so plain http works.
  const config = testTandemConfig({ env: 'development', webDir, publicOrigin: url })
  const tandem = await buildTandemApp({ config, database })
  await tandem.app.listen({ host: '127.0.0.1', port })
  return {
    ...tandem,
    url,
    database,
    async close() {
      await tandem.app.close()
      await database.drop()
    },
  }
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

export interface Person {
  username: string
  displayName: string
  password: string
}

export const people = {
  ana: { username: 'ana', displayName: 'Ana Lima', password: 'correct-horse-ana' },
  ben: { username: 'ben', displayName: 'Ben Okafor', password: 'correct-horse-ben' },
  cleo: { username: 'cleo', displayName: 'Cleo Park', password: 'correct-horse-cleo' },
} satisfies Record<string, Person>

/** A Tandem administrator, for the admin console's stories (sign them up with `isAdmin: true`). */
export const admin: Person = { username: 'ada', displayName: 'Ada Admin', password: 'correct-horse-ada' }

export interface User {
  person: Person
  context: BrowserContext
  page: Page
}

/** One person in their own browser context (own cookies), on a page that reports its console errors. */
export async function openBrowserFor(
  browser: Browser,
  person: Person,
  viewport = { width: 1280, height: 800 },
  options: { userAgent?: string } = {},
): Promise<User> {
  const context = await browser.newContext({ viewport, ...options })
  context.setDefaultTimeout(10_000)
  const page = await context.newPage()
  page.on('pageerror', (error) => {
    console.error(`[${person.username}] page error: ${error.message}`)
  })
  page.on('console', (message) => {
    // Failed requests are part of some tests (401 before logging in, simulated outages).
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      console.error(`[${person.username}] console: ${message.text()}`)
  })
  return { person, context, page }
}

/** Waits until the page's realtime socket is registered, so later events are sure to reach it. */
export async function waitForLive(page: Page): Promise<void> {
  await page.locator('[data-testid="connection-status"][data-state="open"]').waitFor({ state: 'attached' })
}

export async function signUpThroughUi(base: string, user: User): Promise<void> {
  const { page, person } = user
  await page.goto(`${base}/signup`)
  await page.getByLabel('Username').fill(person.username)
  await page.getByLabel('Display name').fill(person.displayName)
  await page.getByLabel('Password', { exact: true }).fill(person.password)
  await page.getByRole('button', { name: 'Sign up' }).click()
  await page.getByTestId('me-name').getByText(person.displayName).waitFor({ state: 'attached' })
  await waitForLive(page)
}

export async function logInThroughUi(base: string, user: User): Promise<void> {
  const { page, person } = user
  await page.goto(`${base}/login`)
  await page.getByLabel('Username').fill(person.username)
  await page.getByLabel('Password', { exact: true }).fill(person.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByTestId('nav-chats').waitFor()
  await waitForLive(page)
}

/** The inbox entry of the thread with this title. */
export const inboxItem = (page: Page, title: string) =>
  page
    .getByTestId('inbox-item')
    .filter({ has: page.getByTestId('inbox-item-title').getByText(title, { exact: true }) })

export const messageList = (page: Page) => page.getByTestId('message-list')

/** A delivered (not pending) message with exactly this text. */
export const deliveredMessage = (page: Page, text: string) =>
  messageList(page)
    .getByTestId('message')
    .filter({ has: page.locator('.message-text', { hasText: text }) })

export async function sendThroughComposer(page: Page, text: string): Promise<void> {
  const composer = page.getByTestId('composer')
  await composer.fill(text)
  await composer.press('Enter')
}

/** People who are already friends with each other, made through the services (faster than the UI). */
export async function seedFriends(tandem: RunningTandem, persons: Person[]): Promise<Record<string, Actor>> {
  const db = tandem.ctx.db
  const actors: Record<string, Actor> = {}
  for (const person of persons) {
    const user = await signUp(db, person)
    actors[person.username] = {
      userId: user.id,
      username: user.username,
      displayName: user.display_name,
      isAdmin: false,
    }
  }
  const list = Object.values(actors)
  for (const [i, a] of list.entries()) {
    for (const b of list.slice(i + 1)) {
      await requestFriend(db, tandem.ctx.clock, a, b.username)
      await requestFriend(db, tandem.ctx.clock, b, a.username)
    }
  }
  return actors
}

/** The one-to-one thread of two seeded friends, with messages from the first one. */
export async function seedThread(
  tandem: RunningTandem,
  from: Actor,
  to: Actor,
  texts: string[],
): Promise<string> {
  const deps = { clock: tandem.ctx.clock, origin: tandem.ctx.config.publicOrigin }
  const { thread } = await createThread(tandem.ctx.db, deps, from, { usernames: [to.username] })
  for (const text of texts) await sendMessage(tandem.ctx.db, deps, from, { threadId: thread.id, text })
  return thread.id
}

/**
 * With SCREENSHOT_DIR set, saves the page at its width and at phone width (390 px), full length,
 * as `<name>-desktop.png` and `<name>-phone.png`, for a person to look at. Does nothing otherwise.
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  const dir = process.env.SCREENSHOT_DIR
  if (!dir) return
  const size = page.viewportSize() ?? { width: 1280, height: 800 }
  // The page scrolls inside the app frame; let it grow so the full-length shot shows all of it
  // (pages whose CSP refuses inline style, like a tracked link's landing page, are shot as they are).
  const unframe = await page
    .addStyleTag({
      content: '.app { height: auto !important; min-height: 100dvh } .page { overflow: visible !important }',
    })
    .catch(() => undefined)
  try {
    await page.screenshot({ path: join(dir, `${name}-desktop.png`), fullPage: true })
    await page.setViewportSize({ width: 390, height: 844 })
    await page.screenshot({ path: join(dir, `${name}-phone.png`), fullPage: true })
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)
    if (!fits) console.error(`[screenshots] ${name} scrolls sideways at 390 px`)
  } finally {
    await page.setViewportSize(size)
    await unframe?.evaluate((node) => (node as Element).remove())
  }
}
