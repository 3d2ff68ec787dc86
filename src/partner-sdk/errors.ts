/** An error answer from Tandem's partner API, with its stable snake_case code. */
export class TandemApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown
  /** Seconds to wait before retrying, from `Retry-After` (rate limits and caps). */
  readonly retryAfter: number | undefined

  constructor(status: number, code: string, message: string, details?: unknown, retryAfter?: number) {
    super(message)
    this.name = 'TandemApiError'
    this.status = status
    this.code = code
    this.details = details
    this.retryAfter = retryAfter
  }
}

/** `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim())
  const at = Date.parse(value)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, Math.ceil((at - now) / 1000))
}

/** Builds the error for a non-2xx response: `{error: {code, message, details?}}`, or a generic code. */
export async function errorFromResponse(res: Response): Promise<TandemApiError> {
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'))
  let code = `http_${res.status}`
  let message = res.statusText || `HTTP ${res.status}`
  let details: unknown
  const text = await res.text().catch(() => '')
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown }
    if (body.error && typeof body.error === 'object') {
      const error = body.error as { code?: unknown; message?: unknown; details?: unknown }
      if (typeof error.code === 'string') code = error.code
      if (typeof error.message === 'string') message = error.message
      details = error.details
    } else if (typeof body.error === 'string') {
      // RFC 6749 form, as OAuth endpoints answer.
      code = body.error
      if (typeof body.error_description === 'string') message = body.error_description
    }
  } catch {
    // Not JSON (a proxy's page, for instance): keep the generic code.
  }
  return new TandemApiError(res.status, code, message, details, retryAfter)
}
