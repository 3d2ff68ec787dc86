import { decodeJwt } from 'jose'
import type { Selectable } from 'kysely'
import * as oidc from 'openid-client'
import { AppError } from '../../lib/errors.ts'
import { sha256 } from '../../lib/ids.ts'
import { hasControlCharacters } from '../../lib/text.ts'
import type { MarqueeContext } from '../context.ts'
import type { Db, TandemConnectionsTable } from '../db.ts'
import { callbackUrl, tandemOidc, tandemResource } from './oidc.ts'

export type Connection = Selectable<TandemConnectionsTable>

/** Runs inside the transaction that forgets a user's Tandem connection (others delete what they hold from Tandem). */
export type ForgetListener = (trx: Db, userId: string) => Promise<void>

export interface TandemLinkOptions {
  onForget?: ForgetListener[]
}

const AUTH_REQUEST_TTL_MS = 10 * 60_000
/** An access token this close to its expiry is refreshed before use. */
const EXPIRY_MARGIN_MS = 30_000
const DEFAULT_ACCESS_TTL_S = 300

const accessContext = (userId: string) => `tandem-access:${userId}`
const refreshContext = (userId: string) => `tandem-refresh:${userId}`
const verifierContext = (stateHash: string) => `tandem-pkce:${stateHash}`

export const findConnection = (db: Db, userId: string) =>
  db.selectFrom('tandem_connections').selectAll().where('user_id', '=', userId).executeTakeFirst()

export const findConnectionBySubject = (db: Db, subject: string) =>
  db.selectFrom('tandem_connections').selectAll().where('subject', '=', subject).executeTakeFirst()

/** Deletes what Marquee holds from Tandem for this user: tokens, subject, scopes, the activity consent. */
export async function forgetTandemUser(trx: Db, options: TandemLinkOptions, userId: string): Promise<void> {
  await trx.deleteFrom('tandem_connections').where('user_id', '=', userId).execute()
  await trx.deleteFrom('tandem_activity_consents').where('user_id', '=', userId).execute()
  await trx.deleteFrom('tandem_auth_requests').where('user_id', '=', userId).execute()
  for (const listener of options.onForget ?? []) await listener(trx, userId)
}

/** Where to send the browser back: a path on Marquee only (no open redirect). */
export function safeReturnTo(value: string | undefined): string {
  if (
    !value ||
    value.length > 500 ||
    !value.startsWith('/') ||
    value.startsWith('//') ||
    value.includes('\\')
  )
    return '/'
  if (hasControlCharacters(value)) return '/'
  return value
}

/**
 * Starts an authorization at Tandem (code + PKCE S256 + state + nonce, RFC 9700 §2.1): the verifier and
 * nonce stay in Marquee's database, found again by the hash of `state` and bound to this user.
 */
export async function beginAuthorization(
  ctx: MarqueeContext,
  userId: string,
  request: { scopes: string[]; purpose: 'connect' | 'activity'; returnTo: string },
): Promise<URL> {
  const { config } = await tandemOidc(ctx)
  const verifier = oidc.randomPKCECodeVerifier()
  const state = oidc.randomState()
  const nonce = oidc.randomNonce()
  const stateHash = sha256(state)
  const now = ctx.clock.now()
  const scope = [...new Set(['openid', ...request.scopes])].join(' ')
  await ctx.db.deleteFrom('tandem_auth_requests').where('expires_at', '<', now).execute()
  await ctx.db
    .insertInto('tandem_auth_requests')
    .values({
      state_hash: stateHash,
      user_id: userId,
      verifier_enc: ctx.secrets.seal(verifier, verifierContext(stateHash)),
      nonce,
      scope,
      purpose: request.purpose,
      return_to: request.returnTo,
      created_at: now,
      expires_at: new Date(now.getTime() + AUTH_REQUEST_TTL_MS),
    })
    .execute()
  return oidc.buildAuthorizationUrl(config, {
    redirect_uri: callbackUrl(ctx),
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    resource: tandemResource(ctx),
    // Tandem (oidc-provider) issues a refresh token for offline_access only with prompt=consent.
    prompt: 'consent',
  })
}

export interface CallbackOutcome {
  returnTo: string
  ok: boolean
  reason?: string
  purpose?: 'connect' | 'activity'
}

const reasonOf = (value: string) => value.replace(/[^a-z0-9_]/gi, '').slice(0, 60) || 'error'

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access'])

/**
 * What Tandem granted, as far as a token response shows it: the token's `scope` names the partner-API
 * scopes of the resource (RFC 8707); `openid` stands with the ID token, `offline_access` with a refresh
 * token, and `profile` with the `name` claim it releases.
 */
function grantedScopes(
  requested: string[],
  tokens: oidc.TokenEndpointResponse,
  profileReleased: boolean,
): string[] {
  const resourceScopes = (tokens.scope ?? requested.filter((s) => !OIDC_SCOPES.has(s)).join(' '))
    .split(' ')
    .filter((s) => s && !OIDC_SCOPES.has(s))
  const oidcScopes = [
    'openid',
    ...(profileReleased && requested.includes('profile') ? ['profile'] : []),
    ...(tokens.refresh_token && requested.includes('offline_access') ? ['offline_access'] : []),
  ]
  return [...oidcScopes, ...resourceScopes]
}

/** The grant id Tandem puts in its JWT access tokens (`gid`), to match revocation webhooks to this grant. */
function grantIdOf(accessToken: string): string | null {
  try {
    const gid = decodeJwt(accessToken).gid
    return typeof gid === 'string' ? gid : null
  } catch {
    return null
  }
}

/**
 * Finishes an authorization: the state must be one this user started (RFC 9700 §4.7), then the code is
 * exchanged with PKCE and private_key_jwt; openid-client checks `iss` (RFC 9207), the ID token and nonce.
 * The grant is stored with exactly the scopes Tandem granted, tokens sealed.
 */
export async function completeAuthorization(
  ctx: MarqueeContext,
  options: TandemLinkOptions,
  viewerId: string | undefined,
  current: URL,
): Promise<CallbackOutcome> {
  const state = current.searchParams.get('state')
  if (!state || state.length > 200) return { returnTo: '/', ok: false, reason: 'invalid_state' }
  const stateHash = sha256(state)
  const request = await ctx.db
    .deleteFrom('tandem_auth_requests')
    .where('state_hash', '=', stateHash)
    .returningAll()
    .executeTakeFirst()
  if (!request || request.expires_at <= ctx.clock.now()) {
    return { returnTo: '/', ok: false, reason: 'invalid_state' }
  }
  const fail = (reason: string): CallbackOutcome => ({
    returnTo: request.return_to,
    ok: false,
    reason,
    purpose: request.purpose,
  })
  if (!viewerId) return fail('login_required')
  if (request.user_id !== viewerId) return fail('invalid_state')
  const denied = current.searchParams.get('error')
  if (denied) return fail(reasonOf(denied))

  const { config } = await tandemOidc(ctx)
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers
  try {
    tokens = await oidc.authorizationCodeGrant(
      config,
      current,
      {
        pkceCodeVerifier: ctx.secrets.open(request.verifier_enc, verifierContext(stateHash)),
        expectedState: state,
        expectedNonce: request.nonce,
        idTokenExpected: true,
      },
      { resource: tandemResource(ctx) },
    )
  } catch (error) {
    ctx.log?.warn({ err: error }, 'tandem code exchange failed')
    if (error instanceof oidc.ResponseBodyError) return fail(reasonOf(error.error))
    if (error instanceof oidc.AuthorizationResponseError) return fail(reasonOf(error.error))
    return fail('exchange_failed')
  }
  const claims = tokens.claims()
  if (!claims?.sub) return fail('exchange_failed')
  const subject = claims.sub
  const scopes = grantedScopes(request.scope.split(' '), tokens, claims.name !== undefined)
  const now = ctx.clock.now()
  const userId = request.user_id

  const taken = await findConnectionBySubject(ctx.db, subject)
  if (taken && taken.user_id !== userId) return fail('tandem_account_in_use')
  const previous = await findConnection(ctx.db, userId)
  const grantId = grantIdOf(tokens.access_token)
  const row = {
    subject,
    grant_id: grantId,
    scopes: JSON.stringify(scopes),
    access_token_enc: ctx.secrets.seal(tokens.access_token, accessContext(userId)),
    access_expires_at: new Date(now.getTime() + (tokens.expires_in ?? DEFAULT_ACCESS_TTL_S) * 1000),
    refresh_token_enc: tokens.refresh_token
      ? ctx.secrets.seal(tokens.refresh_token, refreshContext(userId))
      : null,
    updated_at: now,
  }
  await ctx.db.transaction().execute(async (trx) => {
    if (previous && previous.subject !== subject) await forgetTandemUser(trx, options, userId)
    await trx
      .insertInto('tandem_connections')
      .values({ user_id: userId, connected_at: now, ...row })
      .onConflict((oc) => oc.column('user_id').doUpdateSet(row))
      .execute()
    if (request.purpose === 'activity' && scopes.includes('activity.publish')) {
      await trx
        .insertInto('tandem_activity_consents')
        .values({ user_id: userId, enabled: true, consented_at: now, updated_at: now })
        .onConflict((oc) =>
          oc.column('user_id').doUpdateSet({ enabled: true, consented_at: now, updated_at: now }),
        )
        .execute()
    }
  })
  // A connection made through another grant (another Tandem sign-in) leaves the old grant alive at
  // Tandem: end it. Within one grant, revoking the old token would end the new one too.
  if (previous?.refresh_token_enc && previous.grant_id !== grantId && previous.subject === subject) {
    await revokeAtTandem(ctx, previous.refresh_token_enc, userId)
  }
  return { returnTo: request.return_to, ok: true, purpose: request.purpose }
}

async function revokeAtTandem(ctx: MarqueeContext, refreshTokenEnc: string, userId: string): Promise<void> {
  try {
    const { config } = await tandemOidc(ctx)
    await oidc.tokenRevocation(config, ctx.secrets.open(refreshTokenEnc, refreshContext(userId)), {
      token_type_hint: 'refresh_token',
    })
  } catch (error) {
    ctx.log?.warn({ err: error }, 'tandem token revocation failed')
  }
}

/**
 * Disconnects: revokes the grant at Tandem (RFC 7009; revoking the refresh token ends the grant's
 * access tokens too), then deletes what came from Tandem. A failure at Tandem does not keep the tokens.
 */
export async function disconnect(ctx: MarqueeContext, options: TandemLinkOptions, userId: string) {
  const connection = await findConnection(ctx.db, userId)
  if (!connection) return
  if (connection.refresh_token_enc) {
    await revokeAtTandem(ctx, connection.refresh_token_enc, userId)
  } else {
    try {
      const { config } = await tandemOidc(ctx)
      await oidc.tokenRevocation(
        config,
        ctx.secrets.open(connection.access_token_enc, accessContext(userId)),
        {
          token_type_hint: 'access_token',
        },
      )
    } catch (error) {
      ctx.log?.warn({ err: error }, 'tandem token revocation failed')
    }
  }
  await ctx.db.transaction().execute((trx) => forgetTandemUser(trx, options, userId))
}

const locks = new Map<string, Promise<unknown>>()

/** One refresh at a time per user in this process: a rotated refresh token presented twice ends the grant. */
function withUserLock<T>(userId: string, work: () => Promise<T>): Promise<T> {
  const before = locks.get(userId) ?? Promise.resolve()
  const run = before.then(work, work)
  const tail = run.catch(() => {})
  locks.set(userId, tail)
  tail.then(() => {
    if (locks.get(userId) === tail) locks.delete(userId)
  })
  return run
}

export const notConnected = () =>
  new AppError(409, 'tandem_not_connected', 'connect your Tandem account first')

/**
 * A usable access token for this user: the stored one while it is fresh (and not the one Tandem just
 * refused), else a refreshed one, the rotated refresh token stored in the same transaction. The row is
 * locked meanwhile, so instances do not refresh twice. When Tandem says the grant is gone
 * (invalid_grant), the connection is forgotten and 409 `tandem_not_connected` thrown.
 */
export async function accessTokenFor(
  ctx: MarqueeContext,
  options: TandemLinkOptions,
  userId: string,
  refused?: string,
): Promise<string> {
  // Before the transaction: with an embedded database, a query outside it would wait for it forever.
  const { config } = await tandemOidc(ctx)
  const result = await withUserLock(userId, () =>
    ctx.db.transaction().execute(async (trx): Promise<{ token: string } | { gone: boolean }> => {
      const row = await trx
        .selectFrom('tandem_connections')
        .selectAll()
        .where('user_id', '=', userId)
        .forUpdate()
        .executeTakeFirst()
      if (!row) return { gone: false }
      const now = ctx.clock.now()
      const current = ctx.secrets.open(row.access_token_enc, accessContext(userId))
      if (current !== refused && row.access_expires_at.getTime() - EXPIRY_MARGIN_MS > now.getTime()) {
        return { token: current }
      }
      if (!row.refresh_token_enc) return { gone: true }
      let tokens: oidc.TokenEndpointResponse
      try {
        tokens = await oidc.refreshTokenGrant(
          config,
          ctx.secrets.open(row.refresh_token_enc, refreshContext(userId)),
          { resource: tandemResource(ctx) },
        )
      } catch (error) {
        if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant') return { gone: true }
        ctx.log?.warn({ err: error }, 'tandem token refresh failed')
        throw new AppError(502, 'tandem_unavailable', 'Tandem could not be reached')
      }
      const scopes = tokens.scope
        ? [
            ...row.scopes.filter((s) => OIDC_SCOPES.has(s)),
            ...tokens.scope.split(' ').filter((s) => s && !OIDC_SCOPES.has(s)),
          ]
        : row.scopes
      await trx
        .updateTable('tandem_connections')
        .set({
          scopes: JSON.stringify(scopes),
          access_token_enc: ctx.secrets.seal(tokens.access_token, accessContext(userId)),
          access_expires_at: new Date(now.getTime() + (tokens.expires_in ?? DEFAULT_ACCESS_TTL_S) * 1000),
          ...(tokens.refresh_token
            ? { refresh_token_enc: ctx.secrets.seal(tokens.refresh_token, refreshContext(userId)) }
            : {}),
          updated_at: now,
        })
        .where('user_id', '=', userId)
        .execute()
      return { token: tokens.access_token }
    }),
  )
  if ('token' in result) return result.token
  if (result.gone) {
    ctx.log?.info({ userId }, 'tandem grant is gone; forgetting the connection')
    await ctx.db.transaction().execute((trx) => forgetTandemUser(trx, options, userId))
  }
  throw notConnected()
}
