// Story 1 (DESIGN.md §3): Ana signs up on Tandem, befriends Ben and Cleo, and they chat in realtime.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import {
  deliveredMessage,
  inboxItem,
  launchBrowser,
  openBrowserFor,
  people,
  type RunningTandem,
  requireChromium,
  sendThroughComposer,
  signUpThroughUi,
  skipWithoutChromium,
  startTandem,
  type User,
} from './harness.ts'

let tandem: RunningTandem
let browser: Browser

before(async () => {
  if (skipWithoutChromium) return
  requireChromium()
  tandem = await startTandem()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await tandem?.close()
})

async function sendFriendRequest(page: Page, username: string, displayName: string) {
  await page.getByTestId('add-friend-input').fill(username)
  await page.getByRole('button', { name: 'Send request' }).click()
  await page.getByTestId('add-friend-outcome').getByText(`Friend request sent to ${displayName}.`).waitFor()
}

async function acceptRequestFrom(user: User, from: typeof people.ana) {
  const { page } = user
  // The request arrives live: the Friends tab shows a badge without a reload.
  await page.locator('[data-testid="requests-badge"][data-count="1"]').waitFor()
  await page.getByTestId('nav-friends').click()
  await page.getByRole('button', { name: `Accept ${from.displayName}` }).click()
  await page.getByTestId('friends-list').getByText(from.displayName, { exact: true }).waitFor()
  await page.locator('[data-testid="requests-badge"]').waitFor({ state: 'detached' })
}

test('story 1: sign up, befriend, and chat in realtime', {
  skip: skipWithoutChromium,
  timeout: 60_000,
}, async () => {
  const base = tandem.url
  const [ana, ben, cleo] = await Promise.all([
    openBrowserFor(browser, people.ana),
    openBrowserFor(browser, people.ben),
    openBrowserFor(browser, people.cleo),
  ])
  await Promise.all([signUpThroughUi(base, ana), signUpThroughUi(base, ben), signUpThroughUi(base, cleo)])

  // Ana asks Ben and Cleo; both see the request live and accept it.
  await ana.page.getByTestId('nav-friends').click()
  await sendFriendRequest(ana.page, 'ben', people.ben.displayName)
  await sendFriendRequest(ana.page, 'cleo', people.cleo.displayName)
  await ana.page.getByTestId('outgoing-request').nth(1).waitFor()
  assert.equal(await ana.page.getByTestId('outgoing-request').count(), 2)
  await Promise.all([acceptRequestFrom(ben, people.ana), acceptRequestFrom(cleo, people.ana)])

  // Ana's friends list fills in live as they accept.
  const anaFriends = ana.page.getByTestId('friends-list')
  await anaFriends.getByText(people.ben.displayName, { exact: true }).waitFor()
  await anaFriends.getByText(people.cleo.displayName, { exact: true }).waitFor()
  await ana.page.getByTestId('outgoing-request').first().waitFor({ state: 'detached' })

  // Ana opens the one-to-one thread with Ben; it appears in Ben's inbox live and he opens it.
  await ana.page.getByRole('button', { name: `Message ${people.ben.displayName}` }).click()
  await ana.page.getByTestId('thread-title').getByText(people.ben.displayName).waitFor()
  const threadId = await ana.page.getByTestId('thread').getAttribute('data-thread-id')
  assert.ok(threadId)
  await ben.page.getByTestId('nav-chats').click()
  await inboxItem(ben.page, people.ana.displayName).click()
  await ben.page.getByTestId('thread-title').getByText(people.ana.displayName).waitFor()
  assert.equal(await ben.page.getByTestId('thread').getAttribute('data-thread-id'), threadId)

  // A marker on Ben's window proves nothing below reloads his page.
  await ben.page.evaluate(() => {
    ;(window as unknown as { storyMarker: number }).storyMarker = 1
  })

  // Ana sends; Ben's open thread shows it without a reload, and it counts as read for him.
  await sendThroughComposer(ana.page, 'Hi Ben! Movie night on Friday?')
  await deliveredMessage(ana.page, 'Hi Ben! Movie night on Friday?').waitFor()
  await deliveredMessage(ben.page, 'Hi Ben! Movie night on Friday?').waitFor()
  const benItem = inboxItem(ben.page, people.ana.displayName)
  await benItem.locator('.inbox-item-preview', { hasText: 'Hi Ben! Movie night on Friday?' }).waitFor()
  assert.equal(await benItem.getByTestId('unread-badge').count(), 0, 'an open thread has nothing unread')

  // Ben answers; Ana sees it live too.
  await sendThroughComposer(ben.page, 'Yes! I will bring snacks.')
  await deliveredMessage(ana.page, 'Yes! I will bring snacks.').waitFor()

  // Ben goes back to the inbox; Ana's next messages raise his unread badge live.
  await ben.page.getByTestId('nav-chats').click()
  await ben.page.getByTestId('thread').waitFor({ state: 'detached' })
  await sendThroughComposer(ana.page, 'Great, see you at 8')
  await benItem.locator('[data-testid="unread-badge"][data-count="1"]').waitFor()
  await benItem.locator('.inbox-item-preview', { hasText: 'Great, see you at 8' }).waitFor()
  await ben.page.locator('[data-testid="total-unread-badge"][data-count="1"]').waitFor()
  await ben.page.waitForFunction(() => document.title.startsWith('(1) '))

  await sendThroughComposer(ana.page, 'I will book the seats')
  await benItem.locator('[data-testid="unread-badge"][data-count="2"]').waitFor()
  await ben.page.waitForFunction(() => document.title.startsWith('(2) '))

  // Opening the thread reads it: the badges clear, and stay cleared after a reload (the server agrees).
  await benItem.click()
  await deliveredMessage(ben.page, 'I will book the seats').waitFor()
  await benItem.getByTestId('unread-badge').waitFor({ state: 'detached' })
  await ben.page.waitForFunction(() => !document.title.startsWith('('))
  assert.equal(
    await ben.page.evaluate(() => (window as unknown as { storyMarker?: number }).storyMarker),
    1,
    "Ben's page was never reloaded",
  )
  await ben.page.reload()
  await deliveredMessage(ben.page, 'I will book the seats').waitFor()
  assert.equal(await inboxItem(ben.page, people.ana.displayName).getByTestId('unread-badge').count(), 0)

  // Ana starts a group with Ben and Cleo; it reaches Cleo live with its first message unread.
  await ana.page.getByTestId('new-group-link').click()
  await ana.page.getByLabel('Group name').fill('Friday crew')
  await ana.page.getByLabel(people.ben.displayName).check()
  await ana.page.getByLabel(people.cleo.displayName).check()
  await ana.page.getByRole('button', { name: 'Create group' }).click()
  await ana.page.getByTestId('thread-title').getByText('Friday crew').waitFor()
  await sendThroughComposer(ana.page, 'Cleo, are you in?')
  await cleo.page.getByTestId('nav-chats').click()
  const cleoGroup = inboxItem(cleo.page, 'Friday crew')
  await cleoGroup.locator('[data-testid="unread-badge"][data-count="1"]').waitFor()
  await cleoGroup.click()
  await deliveredMessage(cleo.page, 'Cleo, are you in?').waitFor()
  await sendThroughComposer(cleo.page, 'Count me in!')
  await deliveredMessage(ana.page, 'Count me in!').waitFor()
  await inboxItem(ben.page, 'Friday crew').locator('[data-testid="unread-badge"][data-count="2"]').waitFor()

  await Promise.all([ana.context.close(), ben.context.close(), cleo.context.close()])
})
