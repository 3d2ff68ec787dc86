import Provider, { type Configuration, errors } from 'oidc-provider'
import { findUserById } from '../accounts/accounts.repository.ts'
import type { TandemContext } from '../context.ts'
import { coveredScopes } from '../partners/agreements.service.ts'
import { createAdapterClass } from './adapter.ts'
import { OIDC_SCOPES, partnerResource } from './scopes.ts'
import type { ServerSecrets } from './server-secrets.ts'
import { recordAppSubject } from './subjects.ts'
import { interactionCsp, renderErrorPage } from './views.ts'

export const OAUTH_PREFIX = '/oauth'

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

const asksForPartnerScope = (scope: unknown) =>
  typeof scope === 'string' &&
  scope.split(' ').some((s) => s && !(OIDC_SCOPES as readonly string[]).includes(s))

/**
 * Tandem's authorization server. Everything protocol-shaped is oidc-provider's; this is its
 * configuration, each choice tied to the SECURITY.md row it closes.
 */
export function createProvider(
  ctx: TandemContext,
  secrets: ServerSecrets,
  /** Told, after the fact is stored, that the provider ended a grant (revocation, code or refresh-token reuse). */
  onGrantRevoked?: (grantId: string) => void,
): Provider {
  const { db, clock, config } = ctx
  const resource = partnerResource(config.publicOrigin)
  const refreshTtl = config.oauth.refreshTokenIdleDays * 86_400

  const configuration: Configuration = {
    adapter: createAdapterClass(db, clock, ctx.secrets, onGrantRevoked),
    jwks: { keys: secrets.signingKeys as never },
    cookies: { keys: secrets.cookieKeys },
    // Row 8: code only; no implicit or hybrid response types.
    responseTypes: ['code'],
    scopes: [...OIDC_SCOPES],
    claims: { openid: ['sub'], profile: ['name'] },
    // Rows 4-6: PKCE (S256 only, the library's default) for every client, public or confidential.
    pkce: { required: () => true },
    // Row 22: partners authenticate with a signed JWT from their registered key; nothing else.
    clientAuthMethods: ['private_key_jwt'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      id_token_signed_response_alg: 'ES256',
      subject_type: 'pairwise',
    },
    subjectTypes: ['pairwise'],
    async pairwiseIdentifier(_koa, accountId, client) {
      return recordAppSubject(db, clock, secrets.pairwiseSalt, client.clientId, accountId)
    },
    async findAccount(_koa, sub) {
      const user = await findUserById(db, sub)
      if (!user) return undefined
      return { accountId: user.id, claims: async () => ({ sub: user.id, name: user.display_name }) }
    },
    routes: {
      authorization: `${OAUTH_PREFIX}/authorize`,
      token: `${OAUTH_PREFIX}/token`,
      jwks: `${OAUTH_PREFIX}/jwks`,
      revocation: `${OAUTH_PREFIX}/revoke`,
      introspection: `${OAUTH_PREFIX}/introspect`,
      userinfo: `${OAUTH_PREFIX}/userinfo`,
      end_session: `${OAUTH_PREFIX}/logout`,
      pushed_authorization_request: `${OAUTH_PREFIX}/par`,
    },
    interactions: { url: (_koa, interaction) => `${OAUTH_PREFIX}/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: config.oauth.accessTokenTtlSeconds,
      // Row 11: codes live 60 seconds.
      AuthorizationCode: 60,
      ClientCredentials: config.oauth.accessTokenTtlSeconds,
      IdToken: 300,
      Interaction: 600,
      Session: 14 * 86_400,
      Grant: 365 * 86_400,
      // Row 18: a refresh token expires after this much inactivity; rotation gives each new one a fresh window.
      RefreshToken: refreshTtl,
    },
    // Rows 15 and 17: refresh tokens only with offline_access (which oidc-provider only honours with
    // prompt=consent), always rotated; presenting a rotated one revokes the whole grant.
    issueRefreshToken: async (_koa, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    rotateRefreshToken: () => true,
    // Rows 10, 15 and 25: code or refresh-token reuse, and any revocation, revoke the whole grant. The
    // adapter's revokeByGrantId (which the provider calls for every revoked token) already ends every
    // token of the grant and marks it revoked for the resource server; keeping the Grant itself would
    // let the next sign-in reuse a grant whose tokens the resource server refuses.
    revokeGrantPolicy: () => true,
    // The resource server must learn which grant a JWT access token belongs to, to honour revocation at once.
    extraTokenClaims: async (_koa, token) =>
      'grantId' in token && token.grantId && token.kind === 'AccessToken'
        ? { gid: token.grantId }
        : undefined,
    // Row 29: no CORS for anyone (partners call from their servers).
    clientBasedCORS: () => false,
    // Row 43: loopback partner URLs are accepted in development and tests (the demo's Marquee on
    // localhost serves its jwks_uri there), but oidc-provider's own SSRF guard refuses every loopback
    // address. Only there, and only for loopback hosts, is a fetch made without that guard.
    fetch: (url, options) => {
      if (config.allowLoopbackPartnerUrls && LOOPBACK_HOSTS.has(new URL(String(url)).hostname)) {
        const { dispatcher: _guard, ...rest } = options as RequestInit & { dispatcher?: unknown }
        return globalThis.fetch(url, rest)
      }
      return globalThis.fetch(url, options)
    },
    renderError: async (koa, out) => {
      koa.type = 'html'
      koa.set('content-security-policy', interactionCsp([]))
      koa.set('x-frame-options', 'DENY')
      koa.body = renderErrorPage(out.error, out.error_description)
    },
    features: {
      devInteractions: { enabled: false },
      // Rows 25-26.
      revocation: { enabled: true },
      introspection: {
        enabled: true,
        // A partner may introspect only its own tokens; anything else reads as inactive.
        allowedPolicy: async (_koa, client, token) => token.clientId === client.clientId,
      },
      clientCredentials: { enabled: true },
      // Row 21: DPoP; a client registered with dpop_bound_access_tokens must use it.
      dPoP: { enabled: true },
      userinfo: { enabled: true },
      // Row 19: one resource, JWT access tokens with its audience, a short life; its scopes are only
      // those a live agreement covers (privacy rule 4).
      resourceIndicators: {
        enabled: true,
        // A request naming a partner scope is for the partner API even without a `resource` parameter;
        // one asking only for OIDC scopes gets an opaque token for userinfo (introspectable, rows 10, 25).
        defaultResource: (koa, _client, oneOf) =>
          oneOf || asksForPartnerScope(koa.oidc.params?.scope) ? resource : undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: async (_koa, indicator, client) => {
          if (indicator !== resource) throw new errors.InvalidTarget()
          const scopes = await coveredScopes(db, client.clientId, clock.now())
          return {
            scope: [...scopes].join(' '),
            audience: resource,
            accessTokenTTL: config.oauth.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }
        },
      },
    },
    enabledJWA: {
      clientAuthSigningAlgValues: ['ES256', 'EdDSA', 'PS256', 'RS256'],
      idTokenSigningAlgValues: ['ES256'],
    },
  }

  const provider = new Provider(config.publicOrigin, configuration)
  // Row 33: behind a TLS-terminating proxy, trust its forwarded headers so discovery says https.
  provider.proxy = config.env === 'production'
  return provider
}
