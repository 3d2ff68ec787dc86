import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify'
import { calculateJwkThumbprint, createLocalJWKSet, EmbeddedJWK, type JSONWebKeySet, jwtVerify } from 'jose'
import type Provider from 'oidc-provider'
import { AppError } from '../../lib/errors.ts'
import type { TandemContext } from '../context.ts'
import type { Db } from '../db.ts'
import { selectGrantStates } from '../oauth/grants.repository.ts'
import { partnerResource } from '../oauth/scopes.ts'
import { findUserByAppSubject } from '../oauth/subjects.ts'
import { coveredScopes } from '../partners/agreements.service.ts'

/** Who is calling the partner API, after the guard: the partner, and the user the token speaks for. */
export interface PartnerCaller {
  clientId: string
  /** The internal user id (never sent back to a partner), absent for client-credentials tokens. */
  userId: string | undefined
  /** The app-scoped id the partner knows the user by. */
  sub: string
  grantId: string | undefined
  scopes: Set<string>
}

declare module 'fastify' {
  interface FastifyRequest {
    partner: PartnerCaller | undefined
  }
}

// Revocation and agreement lapse take effect within this long, JWTs included (SECURITY.md row 46).
const STATE_CACHE_MS = 1000
const DPOP_MAX_AGE_S = 60
/** Verified access tokens kept in memory (each is re-checked for expiry on every call). */
const VERIFIED_TOKENS_MAX = 20_000

class TtlCache<V> {
  #entries = new Map<string, { value: V; at: number }>()
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now()
    const hit = this.#entries.get(key)
    if (hit && now - hit.at < STATE_CACHE_MS) return hit.value
    const value = await load()
    if (this.#entries.size > 10_000) this.#entries.clear()
    this.#entries.set(key, { value, at: now })
    return value
  }
  clear(): void {
    this.#entries.clear()
  }
}

/** A grant no call asked about for this long is no longer re-read (it is read again when asked). */
const GRANT_IDLE_MS = 60_000

/**
 * Whether each grant the guard has seen is live, and for which partner. The grants asked about in the
 * last minute are re-read together, in one statement, once they are STATE_CACHE_MS old, so their
 * number does not multiply the queries; a grant not seen before is read on its own.
 */
class GrantStates {
  #states = new Map<string, { clientId: string; live: boolean; askedAt: number }>()
  #readAt = 0
  #rereading: Promise<void> | undefined
  // Bumped by clear(): a read started before it does not put back what it read.
  #generation = 0
  readonly #db: Db

  constructor(db: Db) {
    this.#db = db
  }

  /** Reads the grants' state; keeps it unless clear() ran meanwhile (it is still the answer to this call). */
  async #read(grantIds: string[]) {
    const generation = this.#generation
    const rows = await selectGrantStates(this.#db, grantIds)
    const now = Date.now()
    const found = new Map(
      rows.map((r) => [r.grant_id, { clientId: r.client_id, live: r.revoked_at === null, askedAt: now }]),
    )
    const kept = generation === this.#generation
    if (kept) {
      for (const id of grantIds) {
        const askedAt = this.#states.get(id)?.askedAt ?? now
        this.#states.set(id, { ...(found.get(id) ?? { clientId: '', live: false }), askedAt })
      }
    }
    return { found, kept }
  }

  async #rereadAll() {
    const startedAt = Date.now()
    for (const [id, state] of this.#states) {
      if (startedAt - state.askedAt > GRANT_IDLE_MS) this.#states.delete(id)
    }
    const ids = [...this.#states.keys()]
    if (ids.length === 0 || (await this.#read(ids)).kept) this.#readAt = startedAt
  }

  async isLive(grantId: string, clientId: string): Promise<boolean> {
    if (Date.now() - this.#readAt >= STATE_CACHE_MS) {
      this.#rereading ??= this.#rereadAll().finally(() => {
        this.#rereading = undefined
      })
      await this.#rereading
    }
    const known = this.#states.get(grantId)
    if (known) known.askedAt = Date.now()
    const state = known ?? (await this.#read([grantId])).found.get(grantId)
    return state?.live === true && state.clientId === clientId
  }

  clear(): void {
    this.#generation++
    this.#states.clear()
    this.#readAt = 0
  }
}

function invalidToken(message: string, scheme = 'Bearer'): AppError {
  return new AppError(401, 'invalid_token', message, undefined, {
    'www-authenticate': `${scheme} error="invalid_token", error_description="${message}"`,
  })
}

export interface PartnerGuardOptions {
  /** The scope this route needs (RFC 6750 §3.1: insufficient_scope when missing). */
  scope?: string
  /** Who the token must speak for: a user (authorization code) or the partner itself (client credentials). */
  subject: 'user' | 'client'
}

/**
 * The resource-server guard for /partner/v1: a JWT access token from Tandem's own issuer for this
 * audience (row 19), the route's scope (row 20), DPoP when the token is bound (row 21), a live grant
 * and an active agreement (rows 46, privacy rule 4).
 */
export function createPartnerGuard(ctx: TandemContext, provider: Provider, publicJwks: JSONWebKeySet) {
  const jwks = createLocalJWKSet(publicJwks)
  const audience = partnerResource(ctx.config.publicOrigin)
  const grants = new GrantStates(ctx.db)
  const agreements = new TtlCache<Set<string>>()
  // A partner's app-scoped id names the same user for good, so it is looked up once (revocation and
  // account deletion are caught by the grant check, which comes first).
  const subjects = new Map<string, string>()
  // A token's signature, issuer, audience and type are checked once; its time claims on every call.
  const verifiedTokens = new Map<string, Record<string, unknown>>()

  async function verifiedClaims(token: string): Promise<Record<string, unknown>> {
    const now = ctx.clock.now().getTime() / 1000
    const known = verifiedTokens.get(token)
    if (known !== undefined) {
      const { exp, nbf } = known as { exp?: unknown; nbf?: unknown }
      if ((typeof exp !== 'number' || now < exp) && (typeof nbf !== 'number' || now >= nbf)) return known
      verifiedTokens.delete(token)
    }
    let claims: Record<string, unknown>
    try {
      const verified = await jwtVerify(token, jwks, {
        issuer: ctx.config.publicOrigin,
        audience,
        typ: 'at+jwt',
        currentDate: ctx.clock.now(),
      })
      claims = verified.payload
    } catch {
      throw invalidToken('the access token is not valid for this API')
    }
    if (verifiedTokens.size >= VERIFIED_TOKENS_MAX) verifiedTokens.clear()
    verifiedTokens.set(token, claims)
    return claims
  }

  async function verifyDpop(req: FastifyRequest, token: string, jkt: string) {
    const proof = req.headers.dpop
    if (typeof proof !== 'string')
      throw invalidToken('this token is bound to a key: send a DPoP proof', 'DPoP')
    let payload: Record<string, unknown>
    let header: { jwk?: Record<string, unknown> }
    try {
      const verified = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: ['ES256', 'EdDSA', 'PS256', 'RS256'],
        maxTokenAge: DPOP_MAX_AGE_S,
        clockTolerance: 5,
        currentDate: ctx.clock.now(),
      })
      payload = verified.payload
      header = verified.protectedHeader as { jwk?: Record<string, unknown> }
    } catch {
      throw invalidToken('the DPoP proof is not valid', 'DPoP')
    }
    const url = new URL(req.url, ctx.config.publicOrigin)
    const htu = `${url.origin}${url.pathname}`
    const ath = createHash('sha256').update(token).digest('base64url')
    if (
      payload.htm !== req.method ||
      payload.htu !== htu ||
      payload.ath !== ath ||
      typeof payload.jti !== 'string'
    ) {
      throw invalidToken('the DPoP proof does not match this request', 'DPoP')
    }
    if ((await calculateJwkThumbprint(header.jwk as never)) !== jkt) {
      throw invalidToken('the DPoP proof is signed by another key', 'DPoP')
    }
    const fresh = await provider.ReplayDetection.unique(
      jkt,
      payload.jti,
      Number(payload.iat) + DPOP_MAX_AGE_S,
    )
    if (!fresh) throw invalidToken('this DPoP proof was already used', 'DPoP')
  }

  function requirePartner(options: PartnerGuardOptions): preHandlerHookHandler {
    return async (req: FastifyRequest, _reply: FastifyReply) => {
      const authorization = req.headers.authorization ?? ''
      const match = /^(Bearer|DPoP) ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization)
      if (!match) throw invalidToken('send an access token in the Authorization header')
      const [, scheme, token] = match as unknown as [string, string, string]
      const claims = await verifiedClaims(token)
      const cnf = claims.cnf as { jkt?: string } | undefined
      if (cnf?.jkt) {
        if (scheme.toLowerCase() !== 'dpop')
          throw invalidToken('this token is bound to a key: use the DPoP scheme', 'DPoP')
        await verifyDpop(req, token, cnf.jkt)
      } else if (scheme.toLowerCase() !== 'bearer') {
        throw invalidToken('this token is not bound to a key: use the Bearer scheme')
      }
      const clientId = String(claims.client_id ?? '')
      const sub = String(claims.sub ?? '')
      const scopes = new Set(
        String(claims.scope ?? '')
          .split(' ')
          .filter(Boolean),
      )
      const grantId = typeof claims.gid === 'string' ? claims.gid : undefined
      const isClientToken = sub === clientId && grantId === undefined
      if (options.subject === 'user' && isClientToken) {
        throw new AppError(
          403,
          'user_token_required',
          'this API acts for a user: use a token from their consent',
        )
      }
      if (options.subject === 'client' && !isClientToken) {
        throw new AppError(403, 'client_token_required', 'use a client-credentials token for this API')
      }
      let userId: string | undefined
      if (grantId) {
        if (!(await grants.isLive(grantId, clientId))) throw invalidToken('the access was revoked')
        const subject = `${clientId}\u0000${sub}`
        userId = subjects.get(subject)
        if (userId === undefined) {
          userId = await findUserByAppSubject(ctx.db, clientId, sub)
          if (!userId) throw invalidToken('the access token names no user')
          if (subjects.size >= VERIFIED_TOKENS_MAX) subjects.clear()
          subjects.set(subject, userId)
        }
      }
      if (options.scope) {
        if (!scopes.has(options.scope)) {
          throw new AppError(
            403,
            'insufficient_scope',
            `this API needs the ${options.scope} scope`,
            undefined,
            {
              'www-authenticate': `${scheme} error="insufficient_scope", scope="${options.scope}"`,
            },
          )
        }
        const covered = await agreements.get(clientId, () => coveredScopes(ctx.db, clientId, ctx.clock.now()))
        if (!covered.has(options.scope)) {
          throw new AppError(
            403,
            'agreement_inactive',
            `no active agreement covers ${options.scope} for this partner; the platform administrator can renew it`,
          )
        }
      }
      req.partner = { clientId, userId, sub, grantId, scopes }
    }
  }
  /** Drops cached grant and agreement state (see state-changes.ts). */
  requirePartner.forget = () => {
    grants.clear()
    agreements.clear()
    subjects.clear()
  }
  return requirePartner
}

export type RequirePartner = ReturnType<typeof createPartnerGuard>
