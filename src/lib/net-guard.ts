import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { AppError } from './errors.ts'

export type UnsafeUrlReason = 'invalid' | 'scheme' | 'credentials' | 'internal_address' | 'unresolvable'

export type HostLookup = (hostname: string) => Promise<readonly { address: string }[]>

export interface UrlGuardOptions {
  /** Lets `http` through for loopback hosts (development and tests only). */
  allowLoopback: boolean
  /** Resolves the host and refuses internal addresses. */
  production: boolean
  /** Name resolution; defaults to the system resolver, every address. */
  lookup?: HostLookup
}

const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true })

function unsafe(reason: UnsafeUrlReason, message: string): AppError {
  return new AppError(400, 'unsafe_url', message, { reason })
}

/**
 * Admits a partner URL (redirect, JWKS, webhook) that Tandem may call (SECURITY.md row 43): https only,
 * http for loopback hosts when `allowLoopback`; in production every address the host resolves to must
 * be public. Throws AppError 400 `unsafe_url` with `details.reason`, or returns the parsed URL.
 *
 * The answer holds for the addresses seen now: a caller that fetches later resolves again, so a host
 * that changes its records in between (DNS rebinding) is only caught by pinning the checked address
 * on the connection itself.
 */
export async function assertPublicHttpUrl(url: string | URL, options: UrlGuardOptions): Promise<URL> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw unsafe('invalid', 'the URL is not valid')
  }
  const host = bareHost(parsed.hostname)
  if (host === '') throw unsafe('invalid', 'the URL has no host')
  if (parsed.username !== '' || parsed.password !== '') {
    throw unsafe('credentials', 'the URL must not carry a user name or password')
  }
  const httpAllowed = options.allowLoopback && isLoopbackHost(host)
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && httpAllowed)) {
    throw unsafe(
      'scheme',
      options.allowLoopback
        ? 'the URL must use https (http only for loopback hosts)'
        : 'the URL must use https',
    )
  }
  if (!options.production) return parsed

  let addresses: string[]
  if (isIP(host) !== 0) {
    addresses = [host]
  } else {
    try {
      addresses = (await (options.lookup ?? systemLookup)(host)).map((a) => a.address)
    } catch {
      throw unsafe('unresolvable', 'the URL host does not resolve')
    }
    if (addresses.length === 0) throw unsafe('unresolvable', 'the URL host does not resolve')
  }
  if (addresses.some(isPrivateAddress))
    throw unsafe('internal_address', 'the URL points to an internal address')
  return parsed
}

/** `[::1]` → `::1`, `example.com.` → `example.com`. */
function bareHost(hostname: string): string {
  const unbracketed = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed
}

function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase()
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  const family = isIP(name)
  if (family === 4) return ipv4Value(name) >>> 24 === 127
  if (family === 6) {
    const g = ipv6Groups(name)
    if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true
    return isMappedIpv4(g) && embeddedIpv4(g, 6) >>> 24 === 127
  }
  return false
}

// Blocks that are not publicly routable unicast: RFC 6890 special-purpose registry and friends.
const IPV4_BLOCKED: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network", including the unspecified address
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, where cloud metadata services live
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, including broadcast
]
const IPV4_BLOCKED_VALUES = IPV4_BLOCKED.map(([base, bits]) => [ipv4Value(base), bits] as const)

/**
 * True unless `ip` is a public unicast address: loopback, private, link-local, CGNAT, unique-local,
 * unspecified, multicast, documentation and reserved ranges all count as private, as do IPv6 forms
 * that carry such an IPv4 address (mapped, NAT64, 6to4). Anything that is not an IP address is
 * answered true, so a caller that forgets to resolve a name fails closed.
 */
export function isPrivateAddress(ip: string): boolean {
  const address = bareHost(ip.split('%')[0] ?? '')
  const family = isIP(address)
  if (family === 4) return isPrivateIpv4(ipv4Value(address))
  if (family !== 6) return true
  const g = ipv6Groups(address)
  if (isMappedIpv4(g)) return isPrivateIpv4(embeddedIpv4(g, 6))
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052) reaches the embedded IPv4 address.
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    return isPrivateIpv4(embeddedIpv4(g, 6))
  }
  // 6to4 2002::/16 (RFC 3056) embeds an IPv4 address in bits 16–47.
  if (g[0] === 0x2002) return isPrivateIpv4(embeddedIpv4(g, 1))
  // Otherwise only global unicast 2000::/3 is public; this refuses ::, ::1, IPv4-compatible ::/96,
  // unique-local fc00::/7, link-local fe80::/10, site-local fec0::/10 and multicast ff00::/8.
  if (((g[0] ?? 0) & 0xe000) !== 0x2000) return true
  return g[0] === 0x2001 && g[1] === 0x0db8 // documentation 2001:db8::/32
}

function isPrivateIpv4(value: number): boolean {
  return IPV4_BLOCKED_VALUES.some(([base, bits]) => value >>> (32 - bits) === base >>> (32 - bits))
}

/** A dotted-quad IPv4 address (already checked by `isIP`) as an unsigned 32-bit number. */
function ipv4Value(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0) >>> 0
}

/** An IPv6 address (already checked by `isIP`) as its eight 16-bit groups. */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase()
  const lastColon = text.lastIndexOf(':')
  const tail = text.slice(lastColon + 1)
  if (tail.includes('.')) {
    const v4 = ipv4Value(tail)
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`
  }
  const [head = '', rest] = text.split('::')
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((h) => Number.parseInt(h, 16)))
  const before = parse(head)
  if (rest === undefined) return before
  const after = parse(rest)
  return [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after]
}

/** ::ffff:0:0/96 */
function isMappedIpv4(g: number[]): boolean {
  return g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff
}

function embeddedIpv4(g: number[], at: number): number {
  return (((g[at] ?? 0) << 16) | (g[at + 1] ?? 0)) >>> 0
}
