// When the realtime connection drops, the client says so, reconnects by itself and catches up.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, WebSocketRoute } from 'playwright-core'
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

test('a dropped connection reconnects and refetches what it missed', {
  skip: skipWithoutChromium,
  timeout: 90_000,
}, async () => {
  const threadId = await seedThread(tandem, actors.ben!, actors.ana!, ['Before the outage'])
  const ana = await openBrowserFor(browser, people.ana)
  const { page } = ana

  // Every socket the page opens passes through here, so the test can cut them and refuse new ones.
  let down = false
  const open: WebSocketRoute[] = []
  await page.routeWebSocket(/\/ws$/, (ws) => {
    if (down) return ws.close({ code: 1011, reason: 'test outage' })
    ws.connectToServer()
    open.push(ws)
  })
  await logInThroughUi(tandem.url, ana)
  const item = inboxItem(page, people.ben.displayName)
  await item.click()
  await deliveredMessage(page, 'Before the outage').waitFor()

  down = true
  for (const ws of open.splice(0)) await ws.close({ code: 1011, reason: 'test outage' })
  await page.locator('[data-testid="connection-status"][data-state="offline"]').waitFor({ state: 'attached' })
  await page
    .getByTestId('connection-status')
    .getByText(/reconnecting/)
    .waitFor()

  // Sent while Ana has no socket: no event reaches her for it.
  const deps = { clock: tandem.ctx.clock, origin: tandem.ctx.config.publicOrigin }
  await sendMessage(tandem.ctx.db, deps, actors.ben!, { threadId, text: 'Sent during the outage' })
  down = false

  // The client reconnects on its own and fetches the open thread and the inbox again.
  await page.locator('[data-testid="connection-status"][data-state="open"]').waitFor({ state: 'attached' })
  await deliveredMessage(page, 'Sent during the outage').waitFor()
  await item.locator('.inbox-item-preview', { hasText: 'Sent during the outage' }).waitFor()
  assert.equal(await page.getByTestId('connection-status').textContent(), '')

  // And live delivery works again on the new socket.
  await sendMessage(tandem.ctx.db, deps, actors.ben!, { threadId, text: 'Back to normal' })
  await deliveredMessage(page, 'Back to normal').waitFor()
  await ana.context.close()
})
