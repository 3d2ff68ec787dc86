// The web clients' JSON API client: one error type, one way to call, one way to say what went wrong.
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

export interface RequestOptions {
  body?: unknown
  headers?: Record<string, string>
  /** Leave 401 to the caller instead of treating it as a lost session (login, the first /api/me). */
  expectUnauthenticated?: boolean
  signal?: AbortSignal
}

/** `request` for one service's first-party API; `service` names it in messages ("Could not reach Tandem"). */
export function createApiClient(service: string) {
  let onUnauthenticated: (() => void) | undefined

  async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
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
      throw new ApiError(
        0,
        'network_error',
        `Could not reach ${service}. Check your connection and try again.`,
      )
    }
    if (response.status === 204) return undefined as T
    const payload: unknown = await response.json().catch(() => undefined)
    if (response.ok) return payload as T
    const error = (payload as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
      ?.error
    const failure = new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `${service} answered ${response.status}. Try again in a moment.`,
      error?.details,
    )
    if (response.status === 401 && !options.expectUnauthenticated) onUnauthenticated?.()
    throw failure
  }

  return {
    request,
    /** Called when a request that needed a session got 401: the session ended elsewhere or expired. */
    setUnauthenticatedHandler(handler: (() => void) | undefined): void {
      onUnauthenticated = handler
    },
  }
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
