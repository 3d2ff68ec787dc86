// The conversation screen in depth: keyboard-only use, links and text safety, failed sends, older pages.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import type { Actor } from '../../src/tandem/accounts/accounts.service.ts'
import {
  deliveredMessage,
  inboxItem,
  launchBrowser,
  logInThroughUi,
  messageList,
  openBrowserFor,
  people,
  type RunningTandem,
  requireChromium,
  seedFriends,
  seedThread,
  sendThroughComposer,
  skipWithoutChromium,
  startTandem,
} from './harness.ts'

let tandem: RunningTandem
let browser: Browser
let actors: Record<string, Actor>

before(async () => {
  if (skipWithoutChromium) return
  requireChromium()
  tandem = await startTandem()
  browser = await launchBrowser()
  actors = await seedFriends(tandem, [people.ana, people.ben, people.cleo])
})

after(async () => {
  await browser?.close()
  await tandem?.close()
})

const options = { skip: skipWithoutChromium, timeout: 90_000 }

test('keyboard only: reach a conversation, write two lines, send with Enter', options, async () => {
  await seedThread(tandem, actors.ben!, actors.ana!, ['Ping me when you are free'])
  const ana = await openBrowserFor(browser, people.ana)
  await logInThroughUi(tandem.url, ana)
  const { page } = ana
  const item = inboxItem(page, people.ben.displayName)
  await item.waitFor()

  // Tab through the page until the conversation link has focus, as someone without a mouse would.
  let reached = false
  for (let i = 0; i < 15 && !reached; i++) {
    await page.keyboard.press('Tab')
    reached = await item.evaluate((el) => el === document.activeElement)
  }
  assert.ok(reached, 'the inbox entry is reachable with Tab')
  const outline = await item.evaluate((el) => getComputedStyle(el).outlineStyle)
  assert.notEqual(outline, 'none', 'keyboard focus is visible')
  await page.keyboard.press('Enter')

  // Opening a conversation puts the cursor in the composer.
  const composer = page.getByTestId('composer')
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'composer')
  await page.keyboard.type('First line')
  await page.keyboard.press('Shift+Enter')
  await page.keyboard.type('second line')
  assert.equal(await composer.inputValue(), 'First line\nsecond line')
  await page.keyboard.press('Enter')

  const sent = deliveredMessage(page, 'second line')
  await sent.waitFor()
  assert.equal(await sent.locator('.message-text').textContent(), 'First line\nsecond line')
  assert.equal(await composer.inputValue(), '', 'the composer empties after sending')
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'composer')
  await ana.context.close()
})

test('text stays text, and URLs become links through the link shim', options, async () => {
  const threadId = await seedThread(tandem, actors.cleo!, actors.ana!, [
    'Look <img src=x onerror="window.pwned=1"> at https://example.org/films?id=7 and http://example.com/x',
  ])
  const ana = await openBrowserFor(browser, people.ana)
  await logInThroughUi(tandem.url, ana)
  const { page } = ana
  await page.goto(`${tandem.url}/t/${threadId}`)
  const message = deliveredMessage(page, 'Look')
  await message.waitFor()
  assert.equal(await message.locator('img').count(), 0, 'markup in a message is not parsed')
  assert.match((await message.locator('.message-text').textContent()) ?? '', /<img src=x onerror=/)
  assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined)

  const links = message.locator('.message-text a')
  assert.equal(await links.count(), 2)
  const first = links.nth(0)
  assert.equal(await first.textContent(), 'https://example.org/films?id=7')
  assert.match((await first.getAttribute('href')) ?? '', /\/l\/[^/]+$/, 'the link goes through the shim')
  assert.equal(await first.getAttribute('rel'), 'noopener noreferrer')
  assert.equal(await first.getAttribute('target'), '_blank')
  assert.equal(await links.nth(1).textContent(), 'http://example.com/x')
  await ana.context.close()
})

test('a failed send says so, and Retry delivers it exactly once', options, async () => {
  const threadId = await seedThread(tandem, actors.ana!, actors.cleo!, ['Hello Cleo'])
  const ana = await openBrowserFor(browser, people.ana)
  await logInThroughUi(tandem.url, ana)
  const { page } = ana
  await page.goto(`${tandem.url}/t/${threadId}`)
  await deliveredMessage(page, 'Hello Cleo').waitFor()

  const sendUrl = `**/api/threads/${threadId}/messages`
  let attempts = 0
  const keys: string[] = []
  await page.route(sendUrl, async (route) => {
    if (route.request().method() !== 'POST') return route.fallback()
    attempts++
    keys.push(route.request().headers()['idempotency-key'] ?? '')
    // The first attempt never reaches the server, as when the connection drops.
    return attempts === 1 ? route.abort('internetdisconnected') : route.fallback()
  })
  await sendThroughComposer(page, 'Did this arrive?')
  const failed = page.getByTestId('message-failed')
  await failed
    .getByRole('alert')
    .getByText(/Not sent/)
    .waitFor()
  await failed.getByRole('button', { name: 'Retry' }).click()
  await failed.waitFor({ state: 'detached' })
  await deliveredMessage(page, 'Did this arrive?').waitFor()

  assert.equal(attempts, 2)
  assert.ok(keys[0], 'each message carries an Idempotency-Key')
  assert.equal(keys[1], keys[0], 'a retry reuses the key of the message it retries')
  await page.reload()
  await deliveredMessage(page, 'Hello Cleo').waitFor()
  assert.equal(await deliveredMessage(page, 'Did this arrive?').count(), 1, 'stored once')
  await ana.context.close()
})

test('older messages load on demand, keeping the reader in place', options, async () => {
  const texts = Array.from({ length: 60 }, (_, i) => `Numbered message ${i + 1}.`)
  const threadId = await seedThread(tandem, actors.ben!, actors.cleo!, texts)
  const cleo = await openBrowserFor(browser, people.cleo)
  await logInThroughUi(tandem.url, cleo)
  const { page } = cleo
  await page.goto(`${tandem.url}/t/${threadId}`)
  await deliveredMessage(page, 'Numbered message 60.').waitFor()
  const loaded = messageList(page).getByTestId('message')
  assert.equal(await loaded.count(), 50, 'the first page holds the latest 50')
  assert.equal(await deliveredMessage(page, 'Numbered message 10.').count(), 0)

  await page.getByTestId('load-older').click()
  await deliveredMessage(page, 'Numbered message 1.').waitFor({ state: 'attached' })
  assert.equal(await loaded.count(), 60)
  await page.getByTestId('load-older').waitFor({ state: 'detached' })
  await cleo.context.close()
})
