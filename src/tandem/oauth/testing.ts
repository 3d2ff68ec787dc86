import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import * as oidc from 'openid-client'
import { ManualClock } from '../../lib/clock.ts'
import { newId } from '../../lib/ids.ts'
import { createTestDatabase } from '../../lib/testing/test-db.ts'
import { signUp } from '../accounts/accounts.service.ts'
import { buildTandemApp, type TandemApp } from '../app.ts'
import { type TandemConfig, testTandemConfig } from '../config.ts'
import type { Db, PrivilegedApi, TandemDatabase } from '../db.ts'
import { migrations } from '../migrations/index.ts'
import { partnerResource } from './scopes.ts'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * A listening Tandem whose issuer is its real address, for clients that speak HTTP (openid-client).
 * `beforeListen` may add routes (test-only endpoints behind the real partner guard, for instance).
 */
export async function startListeningTandem(
  overrides: Partial<TandemConfig> = {},
  options: { beforeListen?: (built: TandemApp) => Promise<void> | void } = {},
) {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const database = await createTestDatabase<TandemDatabase>('tandem', migrations)
  const clock = new ManualClock(new Date())
  const config = testTandemConfig({ publicOrigin: origin, ...overrides })
  const built = await buildTandemApp({ config, database, clock })
  await options.beforeListen?.(built)
  await built.app.listen({ host: '127.0.0.1', port })
  return {
    ...built,
    origin,
    resource: partnerResource(origin),
    db: database.db,
    database,
    clock,
    config,
    async close() {
      await built.app.close()
      await database.drop()
    },
  }
}

export type ListeningTandem = Awaited<ReturnType<typeof startListeningTandem>>

export interface TestPartner {
  clientId: string
  redirectUri: string
  privateKey: CryptoKey
  kid: string
  jwk: Record<string, unknown>
}

/** Registers a partner straight in the registry, with its own ES256 key and agreements for the given APIs. */
export async function registerTestPartner(
  db: Db,
  now: Date,
  options: {
    clientId?: string
    apis?: PrivilegedApi[]
    dpop?: boolean
    validUntil?: Date
    name?: string
  } = {},
): Promise<TestPartner> {
  const clientId = options.clientId ?? `partner-${randomUUID().slice(0, 8)}`
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = randomUUID()
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  const redirectUri = `https://${clientId}.example/callback`
  await db
    .insertInto('partner_apps')
    .values({
      client_id: clientId,
      name: options.name ?? 'Marquee',
      homepage_url: `https://${clientId}.example/`,
      privacy_policy_url: `https://${clientId}.example/privacy`,
      redirect_uris: JSON.stringify([redirectUri]),
      jwks: JSON.stringify({ keys: [jwk] }),
      webhook_secret_enc: 'unused',
      dpop_bound: options.dpop ?? false,
      created_at: now,
      updated_at: now,
    })
    .execute()
  for (const api of options.apis ?? ['inbox', 'friends', 'activity', 'reporting']) {
    await db
      .insertInto('agreements')
      .values({
        id: newId(),
        client_id: clientId,
        api,
        version: 1,
        valid_from: new Date(now.getTime() - 86_400_000),
        valid_until: options.validUntil ?? new Date(now.getTime() + 365 * 86_400_000),
        obligations: JSON.stringify({ reportEveryDays: 14 }),
        created_at: now,
      })
      .execute()
  }
  return { clientId, redirectUri, privateKey, kid, jwk }
}

/** openid-client configured as the partner's server would be: discovery, private_key_jwt. */
export async function partnerClient(issuer: string, partner: TestPartner) {
  return oidc.discovery(
    new URL(issuer),
    partner.clientId,
    { token_endpoint_auth_method: 'private_key_jwt' },
    oidc.PrivateKeyJwt({ key: partner.privateKey, kid: partner.kid }),
    { execute: [oidc.allowInsecureRequests] },
  )
}

/** A browser without a screen: follows redirects by hand and keeps cookies per host. */
export class Browser {
  #cookies = new Map<string, Map<string, string>>()

  #cookieHeader(url: URL) {
    const jar = this.#cookies.get(url.host)
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : ''
  }

  #store(url: URL, res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      let jar = this.#cookies.get(url.host)
      if (!jar) {
        jar = new Map()
        this.#cookies.set(url.host, jar)
      }
      const expired = attrs.some((a) => /max-age=0|expires=thu, 01 jan 1970/i.test(a.trim()))
      if (expired || value === '') jar.delete(name)
      else jar.set(name, value)
    }
  }

  /** The cookies this browser holds for `host` (name → value). */
  cookies(host: string): Map<string, string> {
    return new Map(this.#cookies.get(host))
  }

  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url)
    const headers = new Headers(init.headers)
    const cookie = this.#cookieHeader(target)
    if (cookie) headers.set('cookie', cookie)
    const res = await fetch(target, { ...init, headers, redirect: 'manual' })
    this.#store(target, res)
    return res
  }

  postForm(url: string | URL, fields: [string, string][], origin?: string) {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin } : {}) },
      body: new URLSearchParams(fields).toString(),
    })
  }

  /** Follows redirects until one leaves `host` (the partner's callback) or a page is shown. */
  async follow(start: string | URL, host: string): Promise<{ res: Response; url: URL }> {
    let url = new URL(start)
    for (let i = 0; i < 10; i++) {
      if (url.host !== host) return { res: new Response(null, { status: 200 }), url }
      const res = await this.request(url)
      const location = res.headers.get('location')
      if (res.status < 300 || res.status >= 400 || !location) return { res, url }
      url = new URL(location, url)
    }
    throw new Error('too many redirects')
  }
}

/**
 * Runs the browser side of an authorization: sign in if asked, consent with `grant` (undefined =
 * accept everything offered), and return the URL the provider sent the browser back to.
 */
export async function authorizeInBrowser(
  browser: Browser,
  origin: string,
  authorizationUrl: URL,
  user: { username: string; password: string },
  grant?: string[],
): Promise<URL> {
  const host = new URL(origin).host
  let { res, url } = await browser.follow(authorizationUrl, host)
  for (let step = 0; step < 4 && url.host === host; step++) {
    const page = await res.text()
    const uid = /\/oauth\/interaction\/([^/"]+)\/(login|consent)/.exec(page)
    if (!uid) throw new Error(`unexpected page at ${url}: ${res.status} ${page.slice(0, 300)}`)
    const [, id, kind] = uid
    const action = `${origin}/oauth/interaction/${id}/${kind}`
    const fields: [string, string][] =
      kind === 'login'
        ? [
            ['username', user.username],
            ['password', user.password],
          ]
        : offeredScopes(page)
            .filter((s) => grant === undefined || grant.includes(s))
            .map((s) => ['scope', s])
    const posted = await browser.postForm(action, fields, origin)
    const location = posted.headers.get('location')
    if (!location)
      throw new Error(`no redirect after ${kind}: ${posted.status} ${(await posted.text()).slice(0, 300)}`)
    ;({ res, url } = await browser.follow(new URL(location, origin), host))
  }
  return url
}

export function offeredScopes(consentPage: string): string[] {
  return [...consentPage.matchAll(/data-scope="([^"]+)"/g)].map((m) => m[1]!)
}

export async function makeTestUser(db: Db, username = `u${randomUUID().slice(0, 8)}`) {
  const password = 'a long enough password'
  const user = await signUp(db, { username, displayName: `Name of ${username}`, password })
  return { ...user, password }
}

/** The page a browser lands on for an authorization request, signing in first if Tandem asks. */
export async function openConsentPage(
  browser: Browser,
  origin: string,
  authorizationUrl: URL,
  user: { username: string; password: string },
): Promise<{ res: Response; html: string; url: URL }> {
  const host = new URL(origin).host
  let { res, url } = await browser.follow(authorizationUrl, host)
  let html = url.host === host ? await res.text() : ''
  const login = /\/oauth\/interaction\/([^/"]+)\/login/.exec(html)
  if (login) {
    const posted = await browser.postForm(
      `${origin}/oauth/interaction/${login[1]}/login`,
      [
        ['username', user.username],
        ['password', user.password],
      ],
      origin,
    )
    const location = posted.headers.get('location')
    if (!location) throw new Error(`no redirect after login: ${posted.status}`)
    ;({ res, url } = await browser.follow(new URL(location, origin), host))
    html = url.host === host ? await res.text() : ''
  }
  return { res, html, url }
}

/** A partner's authorization request and the browser's trip through Tandem, up to the callback. */
export interface PartnerAuthorization {
  callback: URL
  code: string
  verifier: string
  state: string
}

export interface AuthorizeOptions {
  scope: string
  /** The `resource` parameter; none by default. */
  resource?: string
  /** `consent` by default (oidc-provider honours offline_access only with it). */
  prompt?: string | undefined
  /** The scopes the user leaves ticked on the consent screen; everything offered by default. */
  grant?: string[]
  browser?: Browser
}

/** Code + PKCE (S256) + state, as a partner's server starts it, driven through Tandem's screens. */
export async function authorizeAsPartner(
  origin: string,
  config: oidc.Configuration,
  partner: TestPartner,
  user: { username: string; password: string },
  options: AuthorizeOptions,
): Promise<PartnerAuthorization> {
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const params: Record<string, string> = {
    redirect_uri: partner.redirectUri,
    scope: options.scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  }
  const prompt = 'prompt' in options ? options.prompt : 'consent'
  if (prompt) params.prompt = prompt
  if (options.resource) params.resource = options.resource
  const url = oidc.buildAuthorizationUrl(config, params)
  const callback = await authorizeInBrowser(
    options.browser ?? new Browser(),
    origin,
    url,
    user,
    options.grant,
  )
  const code = callback.searchParams.get('code')
  if (!code) throw new Error(`no code in ${callback}`)
  return { callback, code, verifier, state }
}

/** The token request of the authorization-code grant, through openid-client (PKCE and state checked). */
export function redeemCode(
  config: oidc.Configuration,
  authorization: PartnerAuthorization,
  options?: oidc.AuthorizationCodeGrantOptions,
) {
  return oidc.authorizationCodeGrant(
    config,
    authorization.callback,
    { pkceCodeVerifier: authorization.verifier, expectedState: authorization.state },
    undefined,
    options,
  )
}

/** The status and RFC 6749 `error` of a call that openid-client reports as an OAuth error response. */
export async function oauthError(call: Promise<unknown>): Promise<{ status: number; error: string }> {
  try {
    await call
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError) return { status: error.status, error: error.error }
    if (error instanceof oidc.WWWAuthenticateChallengeError) {
      const challenge = error.cause[0]
      return { status: error.response.status, error: String(challenge?.parameters.error ?? '') }
    }
    throw error
  }
  throw new Error('expected an OAuth error response, got success')
}

/** A call to the partner API; the body is parsed JSON (or undefined when empty). */
export async function callPartnerApi(
  origin: string,
  path: string,
  authorization: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{
  status: number
  body: { error?: { code: string; message: string } } & Record<string, unknown>
}> {
  const res = await fetch(`${origin}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization, ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

/** A `private_key_jwt` client assertion (RFC 7523), for token requests made without openid-client. */
export async function signClientAssertion(partner: TestPartner, audience: string, key = partner.privateKey) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: partner.kid })
    .setIssuer(partner.clientId)
    .setSubject(partner.clientId)
    .setAudience(audience)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(key)
}

/** A form POST without openid-client, for requests it refuses to send. */
export async function postForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  })
  const text = await res.text()
  let json: Record<string, unknown> | undefined
  try {
    json = JSON.parse(text) as Record<string, unknown>
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, json, text }
}
