import { CompactSign, type CryptoKey, type JWK, type KeyObject } from 'jose'

/**
 * JSON Canonicalization Scheme (RFC 8785): no whitespace; object members sorted by their names as
 * arrays of UTF-16 code units (§3.2.3); numbers as ECMAScript's Number::toString (§3.2.2.3), which
 * JavaScript's String(number) is; strings with JSON's minimal escaping (§3.2.2.2), which
 * JSON.stringify of a string is. Rejects what I-JSON (RFC 7493) forbids: NaN and infinities, lone
 * surrogates, and values JSON has no form for.
 */
export function canonicalize(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`JCS: ${value} has no JSON form`)
    // String(-0) is "0", as §3.2.2.3 requires.
    return String(value)
  }
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw new TypeError('JCS: a string with a lone surrogate')
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalize(v === undefined ? null : v)).join(',')}]`
  if (typeof value === 'object') {
    const withJson = value as { toJSON?: () => unknown }
    if (typeof withJson.toJSON === 'function') return canonicalize(withJson.toJSON())
    const record = value as Record<string, unknown>
    // Array.prototype.sort compares strings by UTF-16 code units: exactly §3.2.3's order.
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort()
    return `{${keys.map((k) => `${canonicalize(k)}:${canonicalize(record[k])}`).join(',')}}`
  }
  throw new TypeError(`JCS: a ${typeof value} has no JSON form`)
}

export interface SigningKey {
  /** Marquee's Ed25519 private key, the one whose public half Tandem has registered. */
  privateKey: CryptoKey | KeyObject | JWK
  kid: string
}

/** The report as Tandem wants it: its JCS bytes, signed as a compact JWS with EdDSA (DESIGN.md §5). */
export async function signReport(report: unknown, key: SigningKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(canonicalize(report)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
    .sign(key.privateKey)
}
