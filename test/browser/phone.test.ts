// At phone width (375 px) the inbox and a conversation are separate screens, and nothing scrolls sideways.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import type { Actor } from '../../src/tandem/accounts/accounts.service.ts'
import { sendMessage } from '../../src/tandem/messaging/messaging.service.ts'
import {
  deliveredMessage,
  inboxItem,
  launchBrowser,
  logInThroughUi,
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
  actors = await seedFriends(tandem, [people.ana, people.ben])
})

after(async () => {
  await browser?.close()
  await tandem?.close()
})

const fitsWidth = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)

test('phone width: inbox and thread are separate screens', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async () => {
  const threadId = await seedThread(tandem, actors.ben!, actors.ana!, [
    'Hi Ana, this is a long first message so that it has to wrap on a narrow phone screen: https://example.org/a/rather/long/path/that/must/wrap',
  ])
  const ana = await openBrowserFor(browser, people.ana, { width: 375, height: 667 })
  await logInThroughUi(tandem.url, ana)
  const { page } = ana

  // The inbox alone, with the unread badge.
  const item = inboxItem(page, people.ben.displayName)
  await item.locator('[data-testid="unread-badge"][data-count="1"]').waitFor()
  assert.equal(await page.getByTestId('thread').count(), 0)
  assert.ok(await fitsWidth(page), 'the inbox fits 375 px')

  // The conversation alone: the inbox is hidden, a back link leads to it.
  await item.click()
  await deliveredMessage(page, 'Hi Ana').waitFor()
  assert.equal(await page.getByTestId('inbox').isVisible(), false, 'the inbox is its own screen')
  assert.ok(await fitsWidth(page), 'the conversation fits 375 px')
  const composer = page.getByTestId('composer')
  const box = await composer.boundingBox()
  assert.ok(box && box.y + box.height <= 667, 'the composer is on screen')
  await sendThroughComposer(page, 'On my phone!')
  await deliveredMessage(page, 'On my phone!').waitFor()

  // Back to the inbox; a message arriving there shows as unread.
  await page.getByTestId('back-to-inbox').click()
  await item.waitFor()
  assert.equal(await page.getByTestId('thread').count(), 0)
  const deps = { clock: tandem.ctx.clock, origin: tandem.ctx.config.publicOrigin }
  await sendMessage(tandem.ctx.db, deps, actors.ben!, { threadId, text: 'Nice, see you soon' })
  await item.locator('[data-testid="unread-badge"][data-count="1"]').waitFor()
  await item.locator('.inbox-item-preview', { hasText: 'Nice, see you soon' }).waitFor()

  // The browser's back button returns to the conversation, which reads it.
  await page.goBack()
  await deliveredMessage(page, 'Nice, see you soon').waitFor()
  await page.goForward()
  await item.waitFor()
  await item.getByTestId('unread-badge').waitFor({ state: 'detached' })
  await ana.context.close()
})
