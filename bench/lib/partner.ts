import * as oidc from 'openid-client'
import { openDb } from '../../src/lib/db.ts'
import type { TandemDatabase } from '../../src/tandem/db.ts'
import { partnerResource } from '../../src/tandem/oauth/scopes.ts'
import {
  authorizeInBrowser,
  Browser,
  partnerClient,
  registerTestPartner,
  type TestPartner,
} from '../../src/tandem/oauth/testing.ts'
import { mapLimit } from './stats.ts'
import { type BenchUser, PASSWORD, type TandemServer } from './tandem.ts'
import type { BenchContext } from './types.ts'

/**
 * Registers a partner straight in the server's database, as registerTestPartner does in the tests
 * (its own ES256 key, agreements for inbox, friends, activity and reporting). PostgreSQL only: an
 * embedded PGlite database cannot be opened by a second process.
 */
export async function registerBenchPartner(server: TandemServer): Promise<TestPartner> {
  if (!server.databaseUrl)
    throw new Error('registering a partner needs PostgreSQL (the server runs on PGlite)')
  const database = await openDb<TandemDatabase>({ url: server.databaseUrl, poolSize: 1 })
  try {
    return await registerTestPartner(database.db, new Date(), { name: 'Bench partner' })
  } finally {
    await database.close()
  }
}

/**
 * A browser already signed in to Tandem: it starts with the user's session cookie, so the authorization
 * skips the password form (and its per-address rate limit of 10 sign-ins a minute) and goes to consent.
 */
class SignedInBrowser extends Browser {
  #jar = new Map<string, string>()
  #host: string

  constructor(host: string, sessionCookie: string) {
    super()
    this.#host = host
    const eq = sessionCookie.indexOf('=')
    this.#jar.set(sessionCookie.slice(0, eq), sessionCookie.slice(eq + 1))
  }

  override async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url)
    const headers = new Headers(init.headers)
    if (target.host === this.#host && this.#jar.size > 0) {
      headers.set('cookie', [...this.#jar].map(([k, v]) => `${k}=${v}`).join('; '))
    }
    const res = await fetch(target, { ...init, headers, redirect: 'manual' })
    if (target.host === this.#host) {
      for (const line of res.headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(';')
        const eq = pair!.indexOf('=')
        const name = pair!.slice(0, eq).trim()
        const value = pair!.slice(eq + 1).trim()
        const expired = attrs.some((a) => /max-age=0|expires=thu, 01 jan 1970/i.test(a.trim()))
        if (expired || value === '') this.#jar.delete(name)
        else this.#jar.set(name, value)
      }
    }
    return res
  }
}

export interface PartnerToken {
  user: BenchUser
  /** `Bearer …`, ready for an Authorization header. */
  authorization: string
}

/**
 * Connects each user to the partner over HTTP, as a partner's server would: code + PKCE with the
 * partner API as resource, sign-in and consent in a browser without a screen, private_key_jwt at the
 * token endpoint. The server's public origin must be the URL called (it is the issuer).
 */
export async function connectUsers(
  ctx: BenchContext,
  server: TandemServer,
  partner: TestPartner,
  users: BenchUser[],
  scope: string,
): Promise<PartnerToken[]> {
  const config = await partnerClient(server.origin, partner)
  const bar = ctx.progress.bar(`connecting ${users.length} users to the partner`, users.length)
  const host = new URL(server.origin).host
  const tokens = await mapLimit(users, 4, async (user) => {
    const verifier = oidc.randomPKCECodeVerifier()
    const state = oidc.randomState()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: partner.redirectUri,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      prompt: 'consent',
      resource: partnerResource(server.origin),
    })
    const callback = await authorizeInBrowser(new SignedInBrowser(host, user.cookie), server.origin, url, {
      username: user.username,
      password: PASSWORD,
    })
    const grant = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    })
    bar.tick()
    return { user, authorization: `Bearer ${grant.access_token}` }
  })
  bar.done()
  return tokens
}

/** One GET to the partner API with a token; throws on anything but 2xx. */
export async function partnerGet<T>(origin: string, path: string, token: PartnerToken): Promise<T> {
  const res = await fetch(`${origin}${path}`, {
    headers: { authorization: token.authorization },
    signal: AbortSignal.timeout(30_000),
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 300)}`)
  return JSON.parse(text) as T
}
