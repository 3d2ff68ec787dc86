import * as oidc from 'openid-client'
import { AppError } from '../../lib/errors.ts'
import type { MarqueeContext } from '../context.ts'
import { signingKeys } from './keys.ts'
import { loadTandemRegistration, type TandemRegistration } from './registration.ts'

export const CALLBACK_PATH = '/auth/tandem/callback'

/** What Marquee asks for when the user connects, unless the start URL says otherwise. */
export const DEFAULT_SCOPES = [
  'openid',
  'profile',
  'offline_access',
  'recommendations.send',
  'friends.app',
  'friends.suggest',
] as const

/** Scopes a Marquee user may be asked for (reports.submit belongs to Marquee itself). */
export const USER_SCOPES: readonly string[] = [...DEFAULT_SCOPES, 'activity.publish']

export const tandemIssuer = (ctx: Pick<MarqueeContext, 'config'>) => ctx.config.tandem.issuer
/** The resource indicator (RFC 8707) of Tandem's partner API: access tokens are JWTs for this audience. */
export const tandemResource = (ctx: Pick<MarqueeContext, 'config'>) => `${tandemIssuer(ctx)}/partner/v1`
export const callbackUrl = (ctx: Pick<MarqueeContext, 'config'>) =>
  `${ctx.config.publicOrigin}${CALLBACK_PATH}`

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/

/** Plain http is allowed only for an issuer on this machine (development and tests). */
export function insecureAllowed(issuer: string): boolean {
  const url = new URL(issuer)
  return url.protocol === 'http:' && LOOPBACK.test(url.hostname)
}

export interface TandemOidc {
  config: oidc.Configuration
  registration: TandemRegistration
}

const cache = new WeakMap<object, { key: string; value: Promise<oidc.Configuration> }>()

/**
 * openid-client's view of Tandem: discovery from the issuer, Marquee as a confidential client that
 * authenticates with private_key_jwt (its ES256 key, whose public half Tandem reads from our JWKS).
 * Throws 409 `tandem_not_configured` while Marquee has no registration at Tandem (a state of Marquee, not a
 * failure: nothing to retry until an operator registers it).
 */
export async function tandemOidc(ctx: MarqueeContext): Promise<TandemOidc> {
  const registration = await loadTandemRegistration(ctx)
  if (!registration) {
    throw new AppError(409, 'tandem_not_configured', 'Marquee is not registered at Tandem yet')
  }
  const keys = await signingKeys(ctx)
  const issuer = tandemIssuer(ctx)
  const key = `${issuer}|${registration.clientId}|${keys.ES256.kid}`
  let entry = cache.get(ctx)
  if (!entry || entry.key !== key) {
    const value = oidc.discovery(
      new URL(issuer),
      registration.clientId,
      { token_endpoint_auth_method: 'private_key_jwt' },
      oidc.PrivateKeyJwt({ key: keys.ES256.privateKey, kid: keys.ES256.kid }),
      { execute: insecureAllowed(issuer) ? [oidc.allowInsecureRequests] : [], timeout: 10 },
    )
    entry = { key, value }
    cache.set(ctx, entry)
    // A failed discovery (Tandem down) is tried again on the next call.
    value.catch(() => {
      if (cache.get(ctx) === entry) cache.delete(ctx)
    })
  }
  try {
    return { config: await entry.value, registration }
  } catch (error) {
    ctx.log?.warn({ err: error }, 'tandem discovery failed')
    throw new AppError(502, 'tandem_unavailable', 'Tandem could not be reached')
  }
}
