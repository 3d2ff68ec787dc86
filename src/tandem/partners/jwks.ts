import { importJWK, type JSONWebKeySet, type JWK } from 'jose'
import { AppError } from '../../lib/errors.ts'
import { hasControlCharacters } from '../../lib/text.ts'

export const MAX_JWKS_KEYS = 10

/** Members a private or symmetric JWK has and a public one never does (RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
/** What is kept of each key: the public members, nothing else. */
const PUBLIC_MEMBERS = ['kty', 'kid', 'use', 'alg', 'key_ops', 'crv', 'x', 'y', 'n', 'e'] as const

const RSA_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'])
const MIN_RSA_BITS = 2048

export interface JwksProblem {
  /** Index of the key in `keys`, absent for a problem with the set itself. */
  index?: number
  kid?: string
  reason: string
}

const invalid = (message: string, details: JwksProblem[]) =>
  new AppError(400, 'invalid_jwks', message, details)

/**
 * Checks an inline JWKS a partner registers for private_key_jwt and for signing its reports:
 * public keys only, each with a unique `kid`, of a signing type (EC P-256, OKP Ed25519, RSA ≥ 2048),
 * at most ten. Returns the set reduced to the public members; throws 400 `invalid_jwks` with every problem.
 */
export async function validatePartnerJwks(value: unknown): Promise<JSONWebKeySet> {
  if (!isObject(value) || !Array.isArray(value.keys)) {
    throw invalid('jwks must be an object with a "keys" array', [{ reason: 'keys_missing' }])
  }
  const keys: unknown[] = value.keys
  if (keys.length === 0) throw invalid('jwks has no keys', [{ reason: 'no_keys' }])
  if (keys.length > MAX_JWKS_KEYS) {
    throw invalid(`jwks may hold at most ${MAX_JWKS_KEYS} keys`, [{ reason: 'too_many_keys' }])
  }
  const problems: JwksProblem[] = []
  const kept: JWK[] = []
  const kids = new Set<string>()
  for (const [index, key] of keys.entries()) {
    const reason = await keyProblem(key)
    const kid = isObject(key) && typeof key.kid === 'string' ? key.kid : undefined
    if (reason) {
      problems.push({ index, ...(kid !== undefined ? { kid } : {}), reason })
      continue
    }
    if (kids.has(kid!)) {
      problems.push({ index, kid: kid!, reason: 'duplicate_kid' })
      continue
    }
    kids.add(kid!)
    kept.push(publicMembers(key as Record<string, unknown>))
  }
  if (problems.length) throw invalid('jwks has keys that cannot be used', problems)
  return { keys: kept }
}

async function keyProblem(key: unknown): Promise<string | undefined> {
  if (!isObject(key)) return 'not_an_object'
  if (PRIVATE_MEMBERS.some((m) => m in key)) return 'private_key_material'
  const { kid, kty, crv, alg, use } = key
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 200 || hasControlCharacters(kid))
    return 'kid_required'
  if (!kid.isWellFormed()) return 'kid_required'
  if (use !== undefined && use !== 'sig') return 'not_a_signing_key'
  if (key.key_ops !== undefined) {
    if (!Array.isArray(key.key_ops) || !key.key_ops.every((op) => op === 'verify')) return 'not_a_signing_key'
  }
  let importAlg: string
  if (kty === 'EC' && crv === 'P-256') importAlg = 'ES256'
  else if (kty === 'OKP' && crv === 'Ed25519') importAlg = 'EdDSA'
  else if (kty === 'RSA') importAlg = typeof alg === 'string' ? alg : 'RS256'
  else return 'unsupported_key_type'
  if (alg !== undefined) {
    const fits =
      (kty === 'EC' && alg === 'ES256') ||
      (kty === 'OKP' && (alg === 'EdDSA' || alg === 'Ed25519')) ||
      (kty === 'RSA' && typeof alg === 'string' && RSA_ALGS.has(alg))
    if (!fits) return 'alg_mismatch'
  }
  let imported: Awaited<ReturnType<typeof importJWK>>
  try {
    imported = await importJWK({ ...publicMembers(key), ext: true }, importAlg)
  } catch {
    return 'invalid_key'
  }
  if (imported instanceof Uint8Array || imported.type !== 'public') return 'private_key_material'
  if (kty === 'RSA' && modulusBits(key.n) < MIN_RSA_BITS) return 'rsa_key_too_short'
  return undefined
}

function modulusBits(n: unknown): number {
  const bytes = Buffer.from(typeof n === 'string' ? n : '', 'base64url')
  const first = bytes.findIndex((b) => b !== 0)
  return first < 0 ? 0 : (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first]!))
}

function publicMembers(key: Record<string, unknown>): JWK {
  const out: Record<string, unknown> = {}
  for (const member of PUBLIC_MEMBERS) if (key[member] !== undefined) out[member] = key[member]
  return out as JWK
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
