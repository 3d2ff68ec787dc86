import type { PartnerApp } from './partners.repository.ts'

/** What an administrator sees of a partner: never the sealed webhook secret. */
export const presentPartner = (p: PartnerApp) => ({
  id: p.client_id,
  clientId: p.client_id,
  name: p.name,
  logoUrl: p.logo_url,
  homepageUrl: p.homepage_url,
  privacyPolicyUrl: p.privacy_policy_url,
  redirectUris: p.redirect_uris,
  jwksUri: p.jwks_uri,
  jwks: p.jwks,
  webhookUrl: p.webhook_url,
  dpopBoundAccessTokens: p.dpop_bound,
  status: p.status,
  createdAt: p.created_at.toISOString(),
  updatedAt: p.updated_at.toISOString(),
})
