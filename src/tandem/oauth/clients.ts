import type { AdapterPayload } from 'oidc-provider'
import type { Db } from '../db.ts'

/**
 * A registered partner as oidc-provider client metadata. Partners authenticate with
 * private_key_jwt only (SECURITY.md row 22) and receive app-scoped (pairwise) subject ids.
 */
export async function findClientMetadata(db: Db, clientId: string): Promise<AdapterPayload | undefined> {
  const app = await db
    .selectFrom('partner_apps')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('status', '=', 'active')
    .executeTakeFirst()
  if (!app) return undefined
  return {
    client_id: app.client_id,
    client_name: app.name,
    ...(app.logo_url ? { logo_uri: app.logo_url } : {}),
    client_uri: app.homepage_url,
    policy_uri: app.privacy_policy_url,
    redirect_uris: app.redirect_uris,
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt',
    ...(app.jwks_uri ? { jwks_uri: app.jwks_uri } : { jwks: app.jwks ?? { keys: [] } }),
    subject_type: 'pairwise',
    id_token_signed_response_alg: 'ES256',
    ...(app.dpop_bound ? { dpop_bound_access_tokens: true } : {}),
  }
}
