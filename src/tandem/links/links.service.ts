import { AppError } from '../../lib/errors.ts'
import { randomToken } from '../../lib/ids.ts'
import type { MessageLink } from '../db.ts'

// 18 random bytes: 144 bits, above the 128 the shim promises (SECURITY.md row 42).
const LINK_ID_BYTES = 18
export const LINK_ID_RE = /^[A-Za-z0-9_-]{24}$/
const URL_IN_TEXT_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi
const TRAILING_PUNCTUATION_RE = /[.,;:!?)\]}'"]+$/
export const MAX_URL_LENGTH = 2048

/** Parses a URL and accepts it only if it is http(s); the shim never redirects anywhere else. */
export function safeHttpUrl(value: string): URL | undefined {
  if (value.length > MAX_URL_LENGTH) return undefined
  try {
    const url = new URL(value)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
    if (!url.hostname || url.username || url.password) return undefined
    return url
  } catch {
    return undefined
  }
}

/** The http(s) URLs in a text, in order, without trailing punctuation that ends a sentence. */
export function findUrls(text: string): string[] {
  const found: string[] = []
  for (const match of text.matchAll(URL_IN_TEXT_RE)) {
    const candidate = match[0].replace(TRAILING_PUNCTUATION_RE, '')
    if (safeHttpUrl(candidate)) found.push(candidate)
  }
  return found
}

/** Gives each URL a fresh shim id; refuses anything but http(s). Saved with the message (appendMessageRow). */
export function planLinks(urls: string[]): MessageLink[] {
  return urls.map((url) => {
    if (!safeHttpUrl(url)) throw new AppError(400, 'invalid_url', 'links must be http or https URLs')
    return { id: randomToken(LINK_ID_BYTES), url }
  })
}

export const shimHref = (origin: string, linkId: string): string => `${origin}/l/${linkId}`

/** The link id in a shim href (the inverse of `shimHref`). */
export const shimLinkId = (href: string): string => href.slice(href.lastIndexOf('/l/') + 3)
