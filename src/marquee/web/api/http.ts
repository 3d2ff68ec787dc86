import { createApiClient } from '../../../lib/web/api-client.ts'

export { ApiError, describeError, type RequestOptions } from '../../../lib/web/api-client.ts'

export const { request, setUnauthenticatedHandler } = createApiClient('Marquee')

/** A fresh key per submit, so a retried request is not sent twice. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
