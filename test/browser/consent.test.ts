// Story 2 (DESIGN.md §3): the consent screen lists one line of purpose per scope, and the user may
// grant only some. Also SECURITY.md rows 28 and 30: the page refuses framing and loads nothing from
// another origin.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, Response } from 'playwright-core'
import { signUp } from '../../src/tandem/accounts/accounts.service.ts'
import {
  launchBrowser,
  openBrowserFor,
  people,
  type RunningTandem,
  requireChromium,
  skipWithoutChromium,
  startTandem,
} from './harness.ts'
import { authorizeInBrowser, type Partner, redeem, registerPartner } from './partner-flow.ts'

let tandem: RunningTandem
let browser: Browser
let partner: Partner

before(async () => {
  if (skipWithoutChromium) return
  requireChromium()
  tandem = await startTandem()
  browser = await launchBrowser()
  partner = await registerPartner(tandem, 'Marquee')
  await signUp(tandem.ctx.db, people.ana)
})

after(async () => {
  await browser?.close()
  await tandem?.close()
})

test('consent: sign in, one purpose per scope, grant only some, and the code carries only those', {
  skip: skipWithoutChromium,
  timeout: 120_000,
}, async () => {
  const { page } = await openBrowserFor(browser, people.ana)
  const screens: Response[] = []
  page.on('response', (response) => {
    if (new URL(response.url()).pathname.startsWith('/oauth/interaction/')) screens.push(response)
  })

  const authorization = await authorizeInBrowser(page, tandem, partner, people.ana, {
    refuse: ['friends.suggest'],
    onConsent: async (consent) => {
      await consent.getByRole('heading', { name: 'Marquee would like to:' }).waitFor()
      const lines = consent.locator('.scope')
      const offered = await lines
        .locator('input')
        .evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).dataset.scope))
      assert.deepEqual(offered, [
        'openid',
        'profile',
        'recommendations.send',
        'friends.app',
        'friends.suggest',
      ])
      // One line of purpose per scope, in words, naming the app where it matters.
      const purposes = await lines.locator('label').allInnerTexts()
      assert.equal(purposes.length, 5)
      for (const purpose of purposes) assert.ok(purpose.trim().length > 20, `a purpose in words: ${purpose}`)
      assert.match(purposes[2]!, /Send the recommendations you choose/)
      assert.match(purposes[3]!, /See which of your friends also use Marquee/)
      assert.match(purposes[4]!, /Suggest Marquee to friends who don’t use it/)
      assert.ok(await consent.locator('input[data-scope="openid"]').isDisabled(), 'openid is required')

      // SECURITY.md rows 28 and 30, on the consent screen as served to the browser.
      const served = screens.at(-1)!
      const headers = await served.allHeaders()
      assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/)
      assert.equal(headers['x-frame-options'], 'DENY')
      assert.equal(headers['referrer-policy'], 'no-referrer')
    },
  })

  // The browser went from Tandem's screens straight to the partner's redirect URI.
  const { callback } = authorization
  assert.equal(`${callback.origin}${callback.pathname}`, partner.redirectUri)
  assert.ok(callback.searchParams.get('code'), 'an authorization code')
  assert.equal(callback.searchParams.get('iss'), tandem.url, 'RFC 9207 iss names Tandem')
  assert.equal(callback.searchParams.get('state'), authorization.state)
  // The sign-in form was posted as the browser sends it from a no-referrer page (Origin: null).
  const signIn = screens.find((r) => r.request().method() === 'POST' && r.url().endsWith('/login'))
  assert.equal(signIn?.status(), 303, 'signed in on Tandem’s screen')

  // Nothing was loaded from anywhere but Tandem (and, at the end, the partner's own redirect URI).
  const origins = new Set(authorization.requests.map((url) => new URL(url).origin))
  origins.delete(new URL(partner.redirectUri).origin)
  assert.deepEqual([...origins], [tandem.url])

  // The partner's server redeems the code: the token carries what Ana allowed, not what she unticked.
  const tokens = await redeem(partner, authorization)
  const scopes = (tokens.scope ?? '').split(' ')
  assert.ok(scopes.includes('recommendations.send'), `granted: ${tokens.scope}`)
  assert.ok(scopes.includes('friends.app'), `granted: ${tokens.scope}`)
  assert.ok(!scopes.includes('friends.suggest'), `friends.suggest was refused: ${tokens.scope}`)
})
