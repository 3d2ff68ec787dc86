import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ZodError } from 'zod'

/** The one error type services throw; `code` is stable snake_case and part of the API contract. */
export class AppError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown
  readonly headers: Record<string, string>

  constructor(
    status: number,
    code: string,
    message: string,
    details?: unknown,
    headers?: Record<string, string>,
  ) {
    super(message)
    this.name = 'AppError'
    this.status = status
    this.code = code
    this.details = details
    this.headers = headers ?? {}
  }
}

export const notFound = (what: string, code = `${what}_not_found`) =>
  new AppError(404, code, `${what.replaceAll('_', ' ')} not found`)

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string }
}

export function zodIssues(error: ZodError) {
  return error.issues.map((issue) => ({
    path: issue.path.join('.'),
    code: issue.code,
    message: issue.message,
  }))
}

const PG_UNIQUE_VIOLATION = '23505'
const PG_FOREIGN_KEY_VIOLATION = '23503'
const PG_INVALID_TEXT = '22P02'
const PG_NUMERIC_RANGE = '22003'
const PG_STRING_TOO_LONG = '22001'
const PG_UNTRANSLATABLE = '22P05'
const PG_NULL_CHAR = '22021'
const PG_DATETIME_FORMAT = '22007'
const PG_DATETIME_OVERFLOW = '22008'
const PG_INVALID_TIME_ZONE = '22009'

/** Maps anything thrown to a status and the JSON error body; the one place errors become HTTP. */
export function toErrorResponse(error: unknown): {
  status: number
  body: ErrorBody
  headers: Record<string, string>
} {
  if (error instanceof AppError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } }
    if (error.details !== undefined) body.error.details = error.details
    return { status: error.status, body, headers: error.headers }
  }
  if (error instanceof ZodError) {
    return {
      status: 400,
      body: {
        error: { code: 'validation_failed', message: 'request is not valid', details: zodIssues(error) },
      },
      headers: {},
    }
  }
  const e = error as Partial<FastifyError> & { code?: string }
  if (e && typeof e === 'object') {
    if (e.code === PG_UNIQUE_VIOLATION) return simple(409, 'conflict', 'resource already exists')
    if (e.code === PG_FOREIGN_KEY_VIOLATION)
      return simple(404, 'reference_not_found', 'a referenced resource does not exist')
    if (
      e.code === PG_INVALID_TEXT ||
      e.code === PG_NUMERIC_RANGE ||
      e.code === PG_STRING_TOO_LONG ||
      e.code === PG_UNTRANSLATABLE ||
      e.code === PG_NULL_CHAR ||
      e.code === PG_DATETIME_FORMAT ||
      e.code === PG_DATETIME_OVERFLOW ||
      e.code === PG_INVALID_TIME_ZONE
    )
      return simple(400, 'invalid_value', 'a value in the request is not valid')
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return simple(415, 'unsupported_media_type', 'use application/json')
    if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return simple(400, 'invalid_json', 'body is empty')
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return simple(413, 'body_too_large', 'request body is too large')
    if (e.code === 'FST_ERR_BAD_URL') return simple(400, 'bad_url', 'the URL is not valid')
    if (e.code === 'FST_ERR_MAX_PARAM_LENGTH')
      return simple(414, 'uri_too_long', 'a path segment is too long')
    if (e.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH')
      return simple(400, 'invalid_content_length', e.message ?? '')
    if (e.code === 'FST_ERR_RATE_LIMIT_EXCEEDED' || e.statusCode === 429)
      return simple(429, 'rate_limited', 'too many requests, try again later')
    if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
      return simple(400, 'invalid_json', 'body is not valid JSON')
    if (e.validation) return simple(400, 'validation_failed', e.message ?? 'request is not valid')
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
      return simple(e.statusCode, 'bad_request', e.message ?? 'bad request')
  }
  return simple(500, 'internal_error', 'something went wrong on our side')
}

function simple(status: number, code: string, message: string) {
  return { status, body: { error: { code, message } } as ErrorBody, headers: {} }
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const { status, body, headers } = toErrorResponse(error)
  if (status >= 500) {
    request.log.error({ err: error }, 'request failed')
    body.error.requestId = String(request.id)
  }
  return reply.code(status).headers(headers).send(body)
}
