import { randomBytes } from 'node:crypto'
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet } from 'jose'
import type { Updateable } from 'kysely'
import type { Clock } from '../../lib/clock.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import type { SecretBox } from '../../lib/secret-box.ts'
import type { TandemContext } from '../context.ts'
import type { Db, PartnerAppsTable } from '../db.ts'
import { announcePartnerStateChange } from '../partner-api/state-changes.ts'
import { newWebhookSecret, sealWebhookSecret } from '../webhooks/webhooks.service.ts'
import { validatePartnerJwks } from './jwks.ts'
import {
  assertPartnerUrl,
  assertRedirectUris,
  type PartnerUrlRules,
  partnerUrlRules,
} from './partner-urls.ts'
import {
  insertPartner,
  type PartnerApp,
  selectPartner,
  selectPartners,
  updatePartner,
} from './partners.repository.ts'
import type { CreatePartner, UpdatePartner } from './partners.schemas.ts'

export type { PartnerApp } from './partners.repository.ts'

export interface PartnerDeps {
  clock: Clock
  /** Seals the webhook secret at rest. */
  secrets: SecretBox
  urls: PartnerUrlRules
}

export const partnerDeps = (ctx: Pick<TandemContext, 'clock' | 'secrets' | 'config'>): PartnerDeps => ({
  clock: ctx.clock,
  secrets: ctx.secrets,
  urls: partnerUrlRules(ctx.config),
})

export async function findPartner(db: Db, clientId: string): Promise<PartnerApp | undefined> {
  return selectPartner(db, clientId)
}

/** Like findPartner, but 404 `partner_not_found` when there is none. */
export async function getPartner(db: Db, clientId: string): Promise<PartnerApp> {
  const partner = await selectPartner(db, clientId)
  if (!partner) throw notFound('partner')
  return partner
}

export const listPartners = (db: Db): Promise<PartnerApp[]> => selectPartners(db)
export const listActivePartners = (db: Db): Promise<PartnerApp[]> => selectPartners(db, { status: 'active' })

export type PartnerKeys = { jwks: JSONWebKeySet; jwksUri?: undefined } | { jwksUri: string; jwks?: undefined }

/** Where the partner's public keys are: an inline set, or a URL to fetch it from (through the network guard). */
export function partnerJwks(partner: Pick<PartnerApp, 'jwks' | 'jwks_uri'>): PartnerKeys {
  if (partner.jwks) return { jwks: partner.jwks as unknown as JSONWebKeySet }
  if (partner.jwks_uri) return { jwksUri: partner.jwks_uri }
  throw new Error('partner has neither jwks nor jwks_uri')
}

/**
 * Registers a partner app. The webhook secret is returned once, here, and stored sealed.
 * Throws 400 `invalid_url`, `unsafe_url`, `invalid_redirect_uri` or `invalid_jwks`; 409 `client_id_taken`.
 */
export async function registerPartner(
  db: Db,
  deps: PartnerDeps,
  input: CreatePartner,
): Promise<{ partner: PartnerApp; webhookSecret: string }> {
  const checked = await checkPartnerInput(input, deps.urls, 'create')
  const now = deps.clock.now()
  const webhookSecret = newWebhookSecret()
  const given = input.clientId
  for (let attempt = 0; attempt < 3; attempt++) {
    const clientId = given ?? generateClientId(input.name)
    const partner = await insertPartner(db, {
      client_id: clientId,
      name: input.name,
      logo_url: input.logoUrl ?? null,
      homepage_url: input.homepageUrl,
      privacy_policy_url: input.privacyPolicyUrl,
      redirect_uris: JSON.stringify(input.redirectUris),
      jwks_uri: input.jwksUri ?? null,
      jwks: checked.jwks ? JSON.stringify(checked.jwks) : null,
      webhook_url: input.webhookUrl ?? null,
      webhook_secret_enc: sealWebhookSecret(deps.secrets, clientId, webhookSecret),
      dpop_bound: input.dpopBoundAccessTokens ?? false,
      status: 'active',
      created_at: now,
      updated_at: now,
    })
    if (partner) return { partner, webhookSecret }
    if (given) break
  }
  throw new AppError(409, 'client_id_taken', 'a partner with that client id exists', { clientId: given })
}

/** Changes a partner's registration with the same checks as registering; giving jwks or jwksUri replaces the other. */
export async function updatePartnerSettings(
  db: Db,
  deps: PartnerDeps,
  clientId: string,
  input: UpdatePartner,
): Promise<PartnerApp> {
  const checked = await checkPartnerInput(input, deps.urls, 'update')
  const changes: Updateable<PartnerAppsTable> = { updated_at: deps.clock.now() }
  if (input.name !== undefined) changes.name = input.name
  if (input.logoUrl !== undefined) changes.logo_url = input.logoUrl
  if (input.homepageUrl !== undefined) changes.homepage_url = input.homepageUrl
  if (input.privacyPolicyUrl !== undefined) changes.privacy_policy_url = input.privacyPolicyUrl
  if (input.redirectUris !== undefined) changes.redirect_uris = JSON.stringify(input.redirectUris)
  if (input.jwksUri !== undefined) Object.assign(changes, { jwks_uri: input.jwksUri, jwks: null })
  if (checked.jwks) Object.assign(changes, { jwks: JSON.stringify(checked.jwks), jwks_uri: null })
  if (input.webhookUrl !== undefined) changes.webhook_url = input.webhookUrl
  if (input.dpopBoundAccessTokens !== undefined) changes.dpop_bound = input.dpopBoundAccessTokens
  const partner = await updatePartner(db, clientId, changes)
  if (!partner) throw notFound('partner')
  return partner
}

/**
 * Suspending stops every privileged scope at once (coveredScopes is empty for a suspended partner);
 * partner API guards on every instance drop their cached state when the change commits.
 */
export async function setPartnerStatus(
  db: Db,
  deps: Pick<PartnerDeps, 'clock'> & { afterCommit?: (() => void) | undefined },
  clientId: string,
  status: PartnerApp['status'],
): Promise<PartnerApp> {
  const partner = await db.transaction().execute(async (trx) => {
    const updated = await updatePartner(trx, clientId, { status, updated_at: deps.clock.now() })
    if (!updated) throw notFound('partner')
    await announcePartnerStateChange(trx, `partner:${clientId}`)
    return updated
  })
  deps.afterCommit?.()
  return partner
}

type PartnerInput = Partial<Omit<CreatePartner, 'logoUrl' | 'webhookUrl'>> & {
  logoUrl?: string | null | undefined
  webhookUrl?: string | null | undefined
}

async function checkPartnerInput(
  input: PartnerInput,
  rules: PartnerUrlRules,
  mode: 'create' | 'update',
): Promise<{ jwks: JSONWebKeySet | undefined }> {
  if (typeof input.logoUrl === 'string') assertPartnerUrl(input.logoUrl, 'logoUrl', 'page', rules)
  if (input.homepageUrl !== undefined) assertPartnerUrl(input.homepageUrl, 'homepageUrl', 'page', rules)
  if (input.privacyPolicyUrl !== undefined)
    assertPartnerUrl(input.privacyPolicyUrl, 'privacyPolicyUrl', 'page', rules)
  if (input.redirectUris !== undefined) assertRedirectUris(input.redirectUris, rules)
  const both = input.jwksUri !== undefined && input.jwks !== undefined
  const neither = input.jwksUri === undefined && input.jwks === undefined
  if (both || (mode === 'create' && neither)) {
    throw new AppError(400, 'invalid_jwks', 'give exactly one of jwksUri or jwks', [
      { reason: 'exactly_one_of_jwks_uri_or_jwks' },
    ])
  }
  if (input.jwksUri !== undefined) assertPartnerUrl(input.jwksUri, 'jwksUri', 'endpoint', rules)
  const jwks = input.jwks !== undefined ? await validatePartnerJwks(input.jwks) : undefined
  if (typeof input.webhookUrl === 'string')
    assertPartnerUrl(input.webhookUrl, 'webhookUrl', 'endpoint', rules)
  return { jwks }
}

const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** `marquee-k3x9q2`: the name made URL-safe, then six random characters. */
export function generateClientId(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24)
    .replace(/-+$/, '')
  const suffix = [...randomBytes(6)].map((b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join('')
  return `${slug || 'app'}-${suffix}`
}

const remoteKeySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>()

/** A jose key resolver over the partner's registered keys: for its signed reports and receipts. */
export function partnerKeySet(partner: Pick<PartnerApp, 'jwks' | 'jwks_uri'>) {
  const keys = partnerJwks(partner)
  if (keys.jwks) return createLocalJWKSet(keys.jwks)
  let remote = remoteKeySets.get(keys.jwksUri)
  if (!remote) {
    remote = createRemoteJWKSet(new URL(keys.jwksUri))
    remoteKeySets.set(keys.jwksUri, remote)
  }
  return remote
}
