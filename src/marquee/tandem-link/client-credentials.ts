import * as oidc from 'openid-client'
import { AppError } from '../../lib/errors.ts'
import { createTandemPartnerClient, type TandemPartnerClient } from '../../partner-sdk/index.ts'
import type { MarqueeContext } from '../context.ts'
import { tandemIssuer, tandemOidc, tandemResource } from './oidc.ts'

const EXPIRY_MARGIN_MS = 30_000

/**
 * A partner-API client acting for Marquee itself (client credentials, `private_key_jwt`), for the APIs
 * no user speaks through: the Reporting API (`reports.submit`). The token is kept in memory until
 * shortly before it expires; nothing is stored.
 */
export function createMarqueeClient(ctx: MarqueeContext, scope = 'reports.submit'): TandemPartnerClient {
  let cached: { token: string; expiresAt: number } | undefined
  return createTandemPartnerClient({
    baseUrl: tandemIssuer(ctx),
    accessToken: async () => {
      const now = ctx.clock.now().getTime()
      if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > now) return cached.token
      const { config } = await tandemOidc(ctx)
      let tokens: oidc.TokenEndpointResponse
      try {
        tokens = await oidc.clientCredentialsGrant(config, { scope, resource: tandemResource(ctx) })
      } catch (error) {
        ctx.log?.warn({ err: error }, 'tandem client-credentials grant failed')
        if (error instanceof oidc.ResponseBodyError) {
          throw new AppError(502, 'tandem_error', `Tandem refused the token request: ${error.error}`, {
            code: error.error,
          })
        }
        throw new AppError(502, 'tandem_unavailable', 'Tandem could not be reached')
      }
      cached = { token: tokens.access_token, expiresAt: now + (tokens.expires_in ?? 300) * 1000 }
      return cached.token
    },
  })
}
