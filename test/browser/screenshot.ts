// Writes docs/screenshot.png (referenced from the README): Ana's inbox and an open conversation at
// 1280x800. Run after `npm run build`:  npx node test/browser/screenshot.ts
import { join } from 'node:path'
import { ManualClock } from '../../src/lib/clock.ts'
import { type Actor, signUp } from '../../src/tandem/accounts/accounts.service.ts'
import { createThread, sendMessage } from '../../src/tandem/messaging/messaging.service.ts'
import { requestFriend } from '../../src/tandem/social/social.service.ts'
import {
  deliveredMessage,
  launchBrowser,
  logInThroughUi,
  openBrowserFor,
  type Person,
  requireChromium,
  startTandem,
} from './harness.ts'

const out = join(import.meta.dirname, '../../docs/screenshot.png')
const POSTER_HOST = 'https://img.marquee.example'

const cast = {
  ana: { username: 'ana', displayName: 'Ana Lima', password: 'screenshot-pass' },
  ben: { username: 'ben', displayName: 'Ben Okafor', password: 'screenshot-pass' },
  cleo: { username: 'cleo', displayName: 'Cleo Park', password: 'screenshot-pass' },
  dev: { username: 'dev', displayName: 'Dev Patel', password: 'screenshot-pass' },
} satisfies Record<string, Person>

const poster = `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="450" viewBox="0 0 300 450">
  <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
    <stop offset="0" stop-color="#1e1b4b"/><stop offset="0.6" stop-color="#7c3aed"/><stop offset="1" stop-color="#f59e0b"/>
  </linearGradient></defs>
  <rect width="300" height="450" fill="url(#sky)"/>
  <circle cx="210" cy="120" r="36" fill="#fde68a" opacity="0.9"/>
  <path d="M0 360 Q75 330 150 352 T300 340 V450 H0Z" fill="#0f172a"/>
  <rect x="120" y="210" width="26" height="150" fill="#e2e8f0"/><rect x="112" y="196" width="42" height="18" fill="#f43f5e"/>
  <path d="M133 205 L300 150 L300 185 Z" fill="#fef3c7" opacity="0.5"/>
  <text x="150" y="410" font-family="Georgia, serif" font-size="26" fill="#f8fafc" text-anchor="middle">THE LIGHTHOUSE</text>
  <text x="150" y="436" font-family="Georgia, serif" font-size="18" fill="#cbd5e1" text-anchor="middle">KEEPERS</text>
</svg>`

requireChromium()
const tandem = await startTandem()
const db = tandem.ctx.db
// The conversation with Ben ends a few minutes ago; the others are older.
const clock = new ManualClock(new Date(Date.now() - 850 * 60_000))
const deps = { clock, origin: tandem.ctx.config.publicOrigin }
const actors = {} as Record<keyof typeof cast, Actor>
for (const [key, person] of Object.entries(cast) as [keyof typeof cast, Person][]) {
  const user = await signUp(db, person)
  actors[key] = { userId: user.id, username: user.username, displayName: user.display_name, isAdmin: false }
}
const { ana, ben, cleo, dev } = actors
for (const [a, b] of [
  [ana, ben],
  [ana, cleo],
  [ana, dev],
  [ben, cleo],
] as const) {
  await requestFriend(db, clock, a, b.username)
  await requestFriend(db, clock, b, a.username)
}

const minutes = (n: number) => clock.advance(n * 60_000)
const say = (from: Actor, threadId: string, text: string) => sendMessage(db, deps, from, { threadId, text })

const withDev = (await createThread(db, deps, ana, { usernames: ['dev'] })).thread.id
await say(dev, withDev, 'Finished the book you lent me. That ending!')
minutes(4)
await say(ana, withDev, 'Right? Thanks for bringing it back.')
minutes(180)

const movieNight = (await createThread(db, deps, cleo, { usernames: ['ana', 'ben'], title: 'Movie night' }))
  .thread.id
await say(cleo, movieNight, 'The schedule for the film club is up: https://example.org/film-club')
minutes(12)
await say(ben, movieNight, 'I vote for something with subtitles.')
minutes(600)

const withBen = (await createThread(db, deps, ana, { usernames: ['ben'] })).thread.id
await say(ben, withBen, 'Are we still on for Friday?')
minutes(3)
await say(ana, withBen, 'Yes! Pick a film and I will bring snacks.')
minutes(20)
await sendMessage(db, deps, ben, {
  threadId: withBen,
  text: '',
  card: {
    title: 'The Lighthouse Keepers',
    imageUrl: `${POSTER_HOST}/posters/lighthouse-keepers.svg`,
    url: 'https://marquee.example/title/lighthouse-keepers',
  },
  via: { clientId: 'marquee', appName: 'Marquee' },
})
minutes(1)
await say(
  ben,
  withBen,
  'How about this one? Trailer: https://marquee.example/title/lighthouse-keepers/trailer',
)
minutes(6)
await say(ana, withBen, 'Perfect, I have not seen it yet.')
await say(ana, withBen, 'Sofa is booked. 8 pm?')
minutes(2)
await say(ben, withBen, '8 pm works. See you then!')
minutes(9)

const withCleo = (await createThread(db, deps, ana, { usernames: ['cleo'] })).thread.id
await say(cleo, withCleo, 'Lunch tomorrow? There is a new ramen place near the office.')

const browser = await launchBrowser()
try {
  const user = await openBrowserFor(browser, cast.ana)
  await user.page.route(`${POSTER_HOST}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'image/svg+xml', body: poster }),
  )
  await logInThroughUi(tandem.url, user)
  await user.page.goto(`${tandem.url}/t/${withBen}`)
  await deliveredMessage(user.page, '8 pm works').waitFor()
  await user.page.locator('.title-card-image').evaluate((img: HTMLImageElement) => img.decode())
  await user.page.waitForFunction(() => document.title.startsWith('(3) '))
  await user.page.mouse.move(0, 799)
  await user.page.screenshot({ path: out })
  console.log(`wrote ${out}`)
} finally {
  await browser.close()
  await tandem.close()
}
