import { createTandemPartnerClient } from '../../partner-sdk/index.ts'
import type { MarqueeContext, TandemLink } from '../context.ts'
import { accessTokenFor, findConnection, type TandemLinkOptions } from './connections.ts'
import { tandemIssuer } from './oidc.ts'

/**
 * `ctx.tandem`: a partner-API client per connected user. Its token is refreshed before it expires; a
 * 401 from Tandem (expired early, or revoked) is answered by one refresh and one retry, and when the
 * refresh says the grant is gone the connection is forgotten and the original 401 reaches the caller.
 */
export function createTandemLink(ctx: MarqueeContext, options: TandemLinkOptions): TandemLink {
  return {
    async clientFor(userId) {
      const connection = await findConnection(ctx.db, userId)
      if (!connection) return undefined
      const retryingFetch: typeof fetch = async (input, init) => {
        const res = await fetch(input, init)
        if (res.status !== 401) return res
        const headers = new Headers(init?.headers)
        const used = /^Bearer (.+)$/.exec(headers.get('authorization') ?? '')?.[1]
        if (!used) return res
        let token: string
        try {
          token = await accessTokenFor(ctx, options, userId, used)
        } catch {
          return res
        }
        await res.body?.cancel().catch(() => {})
        headers.set('authorization', `Bearer ${token}`)
        return fetch(input, { ...init, headers })
      }
      return {
        client: createTandemPartnerClient({
          baseUrl: tandemIssuer(ctx),
          accessToken: () => accessTokenFor(ctx, options, userId),
          fetch: retryingFetch,
        }),
        scopes: connection.scopes,
      }
    },
  }
}
