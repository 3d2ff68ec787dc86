/** An error answered by the API (`{error: {code, message, details?}}`), or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }

  /** Field messages of a `validation_failed` answer, keyed by field path. */
  get fieldErrors(): Record<string, string> {
    const fields: Record<string, string> = {}
    if (Array.isArray(this.details)) {
      for (const issue of this.details as { path?: unknown; message?: unknown }[]) {
        if (typeof issue.path === 'string' && typeof issue.message === 'string')
          fields[issue.path] ??= issue.message
      }
    }
    return fields
  }
}

let onUnauthenticated: (() => void) | undefined

/** Called when a request that needed a session got 401: the session ended elsewhere or expired. */
export function setUnauthenticatedHandler(handler: (() => void) | undefined): void {
  onUnauthenticated = handler
}

export interface RequestOptions {
  body?: unknown
  headers?: Record<string, string>
  /** Leave 401 to the caller instead of treating it as a lost session (login, the first /api/me). */
  expectUnauthenticated?: boolean
  signal?: AbortSignal
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    })
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error
    throw new ApiError(0, 'network_error', 'Could not reach Marquee. Check your connection and try again.')
  }
  if (response.status === 204) return undefined as T
  const payload: unknown = await response.json().catch(() => undefined)
  if (response.ok) return payload as T
  const error = (payload as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
    ?.error
  const failure = new ApiError(
    response.status,
    error?.code ?? 'http_error',
    error?.message ?? `Marquee answered ${response.status}. Try again in a moment.`,
    error?.details,
  )
  if (response.status === 401 && !options.expectUnauthenticated) onUnauthenticated?.()
  throw failure
}

/** A human sentence for any error thrown by an API call. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = Object.values(error.fieldErrors)
    if (error.code === 'validation_failed' && fields.length > 0) return capitalize(fields.join('; '))
    if (error.status === 404 && error.code === 'http_error') return 'Not found.'
    return capitalize(error.message)
  }
  return 'Something went wrong. Try again.'
}

const capitalize = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s)

/** A fresh key per submit, so a retried request is not sent twice. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
