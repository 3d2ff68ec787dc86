// Partner messages in a thread (privacy rule 5): a recommendation Ana sends from Marquee reaches
// Ben's open thread live, labelled "Ana via Marquee" with its link through Tandem's shim; Ben mutes
// Marquee and its next send to him is not delivered. Then what Marquee publishes on Ana's profile:
// Ben sees it, Ana deletes it, it is gone.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import {
  launchBrowser,
  logInThroughUi,
  messageList,
  openBrowserFor,
  people,
  type RunningTandem,
  requireChromium,
  screenshots,
  seedFriends,
  seedThread,
  skipWithoutChromium,
  startTandem,
} from './harness.ts'
import {
  ALL_SCOPES,
  authorizeInBrowser,
  type Partner,
  partnerGet,
  redeem,
  registerPartner,
} from './partner-flow.ts'

let tandem: RunningTandem
let browser: Browser
let marquee: Partner
let threadId: string
let anaToken: string
let benAppId: string

const SCOPES = `${ALL_SCOPES} activity.publish`

before(async () => {
  if (skipWithoutChromium) return
  requireChromium()
  tandem = await startTandem()
  browser = await launchBrowser()
  marquee = await registerPartner(tandem, 'Marquee')
  const actors = await seedFriends(tandem, [people.ana, people.ben])
  threadId = await seedThread(tandem, actors.ana!, actors.ben!, ['Movie night?'])
})

after(async () => {
  await browser?.close()
  await tandem?.close()
})

/** A partner's server posting JSON to the partner API with the user's access token. */
async function partnerPost(path: string, accessToken: string, body: unknown) {
  const res = await fetch(`${tandem.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined }
}

const statusesOf = (body: Record<string, unknown> | undefined) =>
  ((body?.sends ?? []) as { status: string }[]).map((s) => s.status)

const recommend = (name: string, id: string) =>
  partnerPost('/partner/v1/recommendations', anaToken, {
    recipients: [benAppId],
    title: { id, name, url: `https://marquee.example/titles/${id}` },
    context: { interface: 'web', surface: 'post_play', variant: 'control' },
  })

test('a partner message arrives live, labelled and shimmed; Ben mutes the partner', {
  skip: skipWithoutChromium,
  timeout: 180_000,
}, async () => {
  // Ana and Ben both connect Marquee, so they are app friends there.
  const connect = async (person: typeof people.ana) => {
    const user = await openBrowserFor(browser, person)
    const authorization = await authorizeInBrowser(user.page, tandem, marquee, person, { scope: SCOPES })
    const tokens = await redeem(marquee, authorization)
    await user.context.close()
    return tokens.access_token
  }
  anaToken = await connect(people.ana)
  await connect(people.ben)
  const friends = await partnerGet(tandem, '/partner/v1/friends', anaToken)
  assert.equal(friends.status, 200)
  const appFriends = friends.body?.appFriends as { id: string; name: string }[]
  assert.equal(appFriends.length, 1)
  benAppId = appFriends[0]!.id

  // Ben has his thread with Ana open.
  const ben = await openBrowserFor(browser, people.ben)
  const { page } = ben
  await logInThroughUi(tandem.url, ben)
  await page.goto(`${tandem.url}/t/${threadId}`)
  await messageList(page).getByText('Movie night?').waitFor()

  // Marquee sends, with markup in the title: it shows as text.
  const title = '<b>Dune</b> & <i>Part Two</i>'
  const sent = await recommend(title, 'dune-2')
  assert.equal(sent.status, 201, JSON.stringify(sent.body))
  assert.deepEqual(statusesOf(sent.body), ['sent'])

  // Live in Ben's open thread, no reload.
  const card = messageList(page).getByTestId('title-card')
  await card.getByText(title, { exact: true }).waitFor()
  await card
    .getByTestId('via-label')
    .getByText(`${people.ana.displayName} via Marquee`, { exact: true })
    .waitFor()
  assert.match((await card.getAttribute('href')) ?? '', new RegExp(`^${tandem.url}/l/`))
  assert.equal(await messageList(page).locator('b, i').count(), 0, 'no partner markup became an element')
  const partnerMessage = messageList(page)
    .getByTestId('message')
    .filter({ has: page.getByTestId('title-card') })
  await screenshots(page, 'partner-message')

  // Report: a short reason, then thanks.
  await partnerMessage.getByRole('button', { name: 'Report' }).click()
  await partnerMessage.getByLabel('Offensive').check()
  await screenshots(page, 'partner-message-report')
  const [reported] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/report')),
    partnerMessage.getByRole('button', { name: 'Send report' }).click(),
  ])
  assert.equal(reported.status(), 201)
  await partnerMessage.getByTestId('report-sent').waitFor()

  // Mute, after a confirm step.
  await partnerMessage.getByRole('button', { name: 'Mute Marquee' }).click()
  await partnerMessage.getByText('Mute Marquee? Its messages will no longer reach you.').waitFor()
  await screenshots(page, 'partner-message-mute-confirm')
  await partnerMessage.getByRole('button', { name: 'Mute', exact: true }).click()
  await partnerMessage.getByTestId('partner-muted').getByText('You muted Marquee').waitFor()
  await partnerMessage.getByRole('button', { name: 'Unmute' }).waitFor()
  await screenshots(page, 'partner-message-muted')

  // Marquee's next send to Ben is not delivered, and nothing new appears in his thread.
  const count = await messageList(page).getByTestId('message').count()
  const second = await recommend('Arrival', 'arrival')
  assert.equal(second.status, 201)
  assert.deepEqual(statusesOf(second.body), ['not_delivered'])
  assert.equal(await messageList(page).getByTestId('title-card').count(), 1)
  await page.reload()
  await messageList(page).getByTestId('title-card').first().waitFor()
  // After the reload the switch shows the server's state: still muted.
  await messageList(page).getByTestId('partner-muted').getByText('You muted Marquee').waitFor()
  assert.equal(await messageList(page).getByTestId('message').count(), count)
  assert.equal(await messageList(page).getByText('Arrival').count(), 0)

  // The thread header's name leads to Ana's profile.
  await page.getByTestId('thread-profile-link').click()
  await page.waitForURL(`${tandem.url}/u/ana`)
  await page.getByTestId('profile-name').getByText(people.ana.displayName).waitFor()
  await ben.context.close()
})

test('partner activity on a profile: a friend sees it, the owner deletes it', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async () => {
  const published = await partnerPost('/partner/v1/activity', anaToken, {
    kind: 'watching',
    title: { id: 'severance', name: 'Severance <s>S2</s>', url: 'https://marquee.example/titles/severance' },
  })
  assert.equal(published.status, 201, JSON.stringify(published.body))

  // Ben reaches Ana's profile from his friends list and sees what she is watching.
  const ben = await openBrowserFor(browser, people.ben)
  await logInThroughUi(tandem.url, ben)
  await ben.page.getByTestId('nav-friends').click()
  await ben.page.getByTestId('friend').getByRole('link', { name: people.ana.displayName }).click()
  await ben.page.getByTestId('profile-name').getByText(people.ana.displayName).waitFor()
  const benItem = ben.page.getByTestId('activity-item')
  await benItem.getByText('Ana is watching Severance <s>S2</s> on Marquee').waitFor()
  assert.equal(await benItem.getByRole('button', { name: /Delete/ }).count(), 0, 'only the owner deletes')
  await screenshots(ben.page, 'profile-activity')

  // Ana deletes it from her own profile.
  const ana = await openBrowserFor(browser, people.ana)
  await logInThroughUi(tandem.url, ana)
  await ana.page.goto(`${tandem.url}/u/ana`)
  const anaItem = ana.page.getByTestId('activity-item')
  await anaItem.getByText('You are watching Severance <s>S2</s> on Marquee').waitFor()
  await screenshots(ana.page, 'profile-own')
  await anaItem.getByRole('button', { name: 'Delete Severance <s>S2</s> from your profile' }).click()
  await ana.page.getByTestId('activity-empty').waitFor()

  // Gone for Ben too.
  await ben.page.reload()
  await ben.page.getByTestId('activity-empty').waitFor()
  assert.equal(await benItem.count(), 0)

  // The setting: turned off, Marquee cannot publish.
  await ana.page.goto(`${tandem.url}/settings`)
  const toggle = ana.page.getByRole('switch', { name: 'Show what partner apps publish on my profile' })
  assert.equal(await toggle.isChecked(), true)
  // The switch follows the saved setting, so it flips when the server has answered: click, then wait for it.
  await toggle.click()
  await ana.page.getByText('Turned off.').waitFor()
  assert.equal(await toggle.isChecked(), false)
  await screenshots(ana.page, 'settings-partner-activity')
  const refused = await partnerPost('/partner/v1/activity', anaToken, {
    kind: 'finished',
    title: { id: 'x', name: 'X', url: 'https://marquee.example/titles/x' },
  })
  assert.equal(refused.status, 403)
  await ben.context.close()
  await ana.context.close()
})
