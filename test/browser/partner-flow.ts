// Helpers for browser tests of the partner platform: a partner app registered against the running
// Tandem, and the OAuth authorization driven through Tandem's real sign-in and consent screens.

import * as oidc from 'openid-client'
import type { Page } from 'playwright-core'
import { partnerResource } from '../../src/tandem/oauth/scopes.ts'
import { partnerClient, registerTestPartner, type TestPartner } from '../../src/tandem/oauth/testing.ts'
import type { Person, RunningTandem } from './harness.ts'

export const ALL_SCOPES = 'openid profile recommendations.send friends.app friends.suggest'

export interface Partner extends TestPartner {
  name: string
  config: oidc.Configuration
}

/** A partner registered straight in Tandem's registry, with agreements for every API and its own key. */
export async function registerPartner(tandem: RunningTandem, name = 'Marquee'): Promise<Partner> {
  const partner = await registerTestPartner(tandem.ctx.db, tandem.ctx.clock.now(), { name })
  const config = await partnerClient(tandem.url, partner)
  return { ...partner, name, config }
}

/** A partner's authorization URL as its server builds it: code + PKCE (S256), state, resource, consent. */
export async function authorizationRequest(tandem: RunningTandem, partner: Partner, scope = ALL_SCOPES) {
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const url = oidc.buildAuthorizationUrl(partner.config, {
    redirect_uri: partner.redirectUri,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    resource: partnerResource(tandem.url),
    prompt: 'consent',
  })
  return { url, verifier, state }
}

export interface Authorization {
  /** The URL the browser was sent back to, on the partner's host. */
  callback: URL
  verifier: string
  state: string
  /** Every request the browser made while on Tandem's screens. */
  requests: string[]
}

/**
 * Opens the partner's authorization URL (code + PKCE, resource, prompt=consent) in the page, signs in
 * on Tandem's screen when it asks, unticks `refuse` on the consent screen and allows. The partner's
 * redirect URI is answered inside the browser, so no network is needed; returns where it landed.
 */
export async function authorizeInBrowser(
  page: Page,
  tandem: RunningTandem,
  partner: Partner,
  person: Person,
  options: {
    scope?: string
    refuse?: string[]
    onConsent?: (page: Page) => Promise<void>
  } = {},
): Promise<Authorization> {
  const { url, verifier, state } = await authorizationRequest(tandem, partner, options.scope ?? ALL_SCOPES)
  const requests: string[] = []
  const record = (request: { url(): string }) => requests.push(request.url())
  page.on('request', record)
  const callbackOrigin = new URL(partner.redirectUri).origin
  let landed: (url: URL) => void = () => {}
  const callback = new Promise<URL>((resolve) => {
    landed = resolve
  })
  await page.route(`${callbackOrigin}/**`, async (route) => {
    landed(new URL(route.request().url()))
    await route.fulfill({
      status: 200,
      contentType: 'text/html',
      body: `<!doctype html><title>${partner.name}</title><p>Back at ${partner.name}.</p>`,
    })
  })
  try {
    await page.goto(url.href)
    const signIn = page.getByRole('button', { name: 'Sign in' })
    const allow = page.getByRole('button', { name: 'Allow', exact: true })
    await signIn.or(allow).first().waitFor()
    if (await signIn.isVisible()) {
      await page.getByLabel('Username').fill(person.username)
      await page.getByLabel('Password').fill(person.password)
      await signIn.click()
    }
    await allow.waitFor()
    await options.onConsent?.(page)
    for (const scope of options.refuse ?? []) {
      await page.locator(`input[data-scope="${scope}"]`).uncheck()
    }
    await allow.click()
    const back = await callback
    await page.waitForURL((u) => u.origin === callbackOrigin)
    return { callback: back, verifier, state, requests }
  } finally {
    page.off('request', record)
    await page.unroute(`${callbackOrigin}/**`)
  }
}

/** The partner's server redeems the code at Tandem's token endpoint (private_key_jwt, PKCE, state). */
export function redeem(partner: Partner, authorization: Authorization) {
  return oidc.authorizationCodeGrant(partner.config, authorization.callback, {
    pkceCodeVerifier: authorization.verifier,
    expectedState: authorization.state,
  })
}

/** A call to the partner API with a bearer access token, as the partner's server makes it. */
export async function partnerGet(tandem: RunningTandem, path: string, accessToken: string) {
  const res = await fetch(`${tandem.url}${path}`, { headers: { authorization: `Bearer ${accessToken}` } })
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined }
}
