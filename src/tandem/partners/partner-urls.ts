import { AppError } from '../../lib/errors.ts'
import { hasControlCharacters } from '../../lib/text.ts'
import type { TandemConfig } from '../config.ts'

export interface PartnerUrlRules {
  /** `http` is accepted for localhost, 127.0.0.1 and [::1] (development and tests; SECURITY.md rows 3, 43). */
  allowLoopbackHttp: boolean
  /** Hosts that name internal addresses are refused (production; SECURITY.md row 43). */
  refuseInternalHosts: boolean
}

export const partnerUrlRules = (
  config: Pick<TandemConfig, 'env' | 'allowLoopbackPartnerUrls'>,
): PartnerUrlRules => ({
  allowLoopbackHttp: config.allowLoopbackPartnerUrls,
  refuseInternalHosts: config.env === 'production',
})

/**
 * `redirect`: an OAuth redirect URI (no fragment, no wildcard: RFC 9700 §2.1, RFC 6749 §3.1.2).
 * `endpoint`: a URL Tandem calls (JWKS, webhook): no fragment.
 * `page`: a URL people open (logo, homepage, privacy policy): a fragment is fine.
 */
export type PartnerUrlKind = 'redirect' | 'endpoint' | 'page'

const REASONS = {
  not_absolute_url: 'must be an absolute URL',
  whitespace_not_allowed: 'must not contain spaces or control characters',
  https_required: 'must use https (http only for localhost, 127.0.0.1 or [::1], and only in development)',
  userinfo_not_allowed: 'must not contain a user name or password',
  fragment_not_allowed: 'must not contain a fragment (#)',
  wildcard_not_allowed: 'must not contain wildcards (*)',
  duplicate: 'is listed twice',
  internal_address: 'must not point to an internal or loopback address',
} as const
export type PartnerUrlProblem = keyof typeof REASONS

const LOOPBACK_HTTP_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])
const AUTHORITY_RE = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\\]*)/i

/** The problem with a partner URL under the rules, or undefined when it is acceptable. Pure. */
export function partnerUrlProblem(
  raw: string,
  kind: PartnerUrlKind,
  rules: PartnerUrlRules,
): PartnerUrlProblem | undefined {
  // The URL parser silently drops tabs and newlines and trims spaces; the stored string must be what matches.
  if (hasControlCharacters(raw) || /\s/.test(raw)) return 'whitespace_not_allowed'
  if (!URL.canParse(raw)) return 'not_absolute_url'
  const url = new URL(raw)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'https_required'
  if (url.username || url.password || (AUTHORITY_RE.exec(raw)?.[1] ?? '').includes('@'))
    return 'userinfo_not_allowed'
  if (rules.refuseInternalHosts && isInternalHost(url.hostname)) return 'internal_address'
  if (url.protocol === 'http:' && !(rules.allowLoopbackHttp && LOOPBACK_HTTP_HOSTS.has(url.hostname)))
    return 'https_required'
  if (kind !== 'page' && raw.includes('#')) return 'fragment_not_allowed'
  if (kind === 'redirect' && raw.includes('*')) return 'wildcard_not_allowed'
  return undefined
}

function urlError(field: string, problem: PartnerUrlProblem, kind: PartnerUrlKind): AppError {
  const details = { field, reason: problem }
  const message = `${field} ${REASONS[problem]}`
  if (problem === 'internal_address') return new AppError(400, 'unsafe_url', message, details)
  if (kind === 'redirect') return new AppError(400, 'invalid_redirect_uri', message, details)
  return new AppError(400, 'invalid_url', message, details)
}

/** Throws 400 `unsafe_url` (internal host), `invalid_redirect_uri` or `invalid_url` with the field and reason. */
export function assertPartnerUrl(
  raw: string,
  field: string,
  kind: PartnerUrlKind,
  rules: PartnerUrlRules,
): void {
  const problem = partnerUrlProblem(raw, kind, rules)
  if (problem) throw urlError(field, problem, kind)
}

/** Every redirect URI must pass alone, and each may appear once (matching is by exact string). */
export function assertRedirectUris(uris: readonly string[], rules: PartnerUrlRules): void {
  const seen = new Set<string>()
  uris.forEach((uri, i) => {
    const field = `redirectUris[${i}]`
    assertPartnerUrl(uri, field, 'redirect', rules)
    if (seen.has(uri)) throw urlError(field, 'duplicate', 'redirect')
    seen.add(uri)
  })
}

// ---------------------------------------------------------------------------------------------
// Host classification on the URL parser's normalised hostname (it already turns `0x7f.1` and
// `2130706433` into 127.0.0.1). This looks at the text only; names that resolve to internal
// addresses are refused when the URL is fetched.

/** True for `localhost` names and IP literals in loopback, private, link-local, shared or reserved ranges. */
export function isInternalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '')
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  const v4 = parseIPv4(host)
  if (v4 !== undefined) return isInternalIPv4(v4)
  if (host.startsWith('[') && host.endsWith(']')) {
    const v6 = parseIPv6(host.slice(1, -1))
    return v6 === undefined ? true : isInternalIPv6(v6)
  }
  return false
}

const IPV4_INTERNAL: ReadonlyArray<readonly [number, number]> = [
  [0x00000000, 8], // this network
  [0x0a000000, 8], // 10/8 private
  [0x64400000, 10], // 100.64/10 shared (carrier-grade NAT)
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // 169.254/16 link-local (cloud metadata)
  [0xac100000, 12], // 172.16/12 private
  [0xc0000000, 24], // 192.0.0/24 protocol assignments
  [0xc0a80000, 16], // 192.168/16 private
  [0xc6120000, 15], // 198.18/15 benchmarking
  [0xe0000000, 3], // multicast, reserved and broadcast
]

function parseIPv4(text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined
    const n = Number(part)
    if (n > 255) return undefined
    value = value * 256 + n
  }
  return value
}

function isInternalIPv4(address: number): boolean {
  return IPV4_INTERNAL.some(([base, bits]) => {
    const size = 2 ** (32 - bits)
    return Math.floor(address / size) === Math.floor(base / size)
  })
}

/** Eight 16-bit groups, or undefined when the text is not an IPv6 address. */
function parseIPv6(text: string): number[] | undefined {
  let s = text
  const lastColon = s.lastIndexOf(':')
  if (lastColon < 0) return undefined
  const last = s.slice(lastColon + 1)
  if (last.includes('.')) {
    const v4 = parseIPv4(last)
    if (v4 === undefined) return undefined
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`
  }
  const halves = s.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] ? halves[0].split(':') : []
  const rest = halves[1] ? halves[1].split(':') : []
  const missing = 8 - head.length - rest.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const groups = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest]
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined
  return groups.map((g) => Number.parseInt(g, 16))
}

function isInternalIPv6(groups: number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups
  const embedded = () => isInternalIPv4(g6 * 65536 + g7)
  // ::, ::1 and IPv4-compatible or IPv4-mapped addresses (::a.b.c.d, ::ffff:a.b.c.d) carry an IPv4 address.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0 || g5 === 0xffff))
    return embedded()
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded() // NAT64
  if (g0 === 0x2002) return isInternalIPv4(g1 * 65536 + g2) // 6to4
  if ((g0 & 0xfe00) === 0xfc00) return true // fc00::/7 unique local
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return true // link-local, site-local
  if ((g0 & 0xff00) === 0xff00) return true // multicast
  return false
}
