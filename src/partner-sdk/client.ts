import { errorFromResponse } from './errors.ts'
import type {
  Activity,
  DeletionReceiptAccepted,
  Friends,
  Me,
  PublishedActivity,
  Recommendation,
  RecommendationSends,
  ReportReceipt,
} from './types.ts'

type Awaitable<T> = T | Promise<T>

/** Makes DPoP proofs (RFC 9449) for a sender-constrained token; the client then uses the DPoP scheme. */
export interface DpopSigner {
  proof(input: { method: string; url: string; accessToken: string }): Awaitable<string>
}

export interface TandemPartnerClientOptions {
  /** Tandem's origin, e.g. `https://tandem.example`. */
  baseUrl: string
  /** The access token for resource `<origin>/partner/v1`; called before every request so it can refresh. */
  accessToken: () => Awaitable<string>
  dpop?: DpopSigner
  fetch?: typeof fetch
}

export interface SendOptions {
  /** Required: a retried send with the same key is not sent twice. */
  idempotencyKey: string
}

export interface TandemPartnerClient {
  me(): Promise<Me>
  friends(): Promise<Friends>
  sendRecommendations(recommendation: Recommendation, options: SendOptions): Promise<RecommendationSends>
  publishActivity(activity: Activity): Promise<PublishedActivity>
  /** Delivers a signed `tandem.partner-report/1` (a compact JWS); needs a client-credentials token. */
  submitReport(jws: string): Promise<ReportReceipt>
  /** Confirms a deletion after `data.deletion_requested`, as a compact JWS signed by the partner's key. */
  submitDeletionReceipt(jws: string): Promise<DeletionReceiptAccepted>
}

interface Call {
  method: 'GET' | 'POST'
  path: string
  json?: unknown
  raw?: { contentType: string; body: string }
  headers?: Record<string, string>
  auth?: boolean
}

/** A typed client for Tandem's privileged partner API; failures throw `TandemApiError`. */
export function createTandemPartnerClient(options: TandemPartnerClientOptions): TandemPartnerClient {
  const base = options.baseUrl.replace(/\/+$/, '')
  const doFetch = options.fetch ?? globalThis.fetch

  async function call<T>(spec: Call): Promise<T> {
    const url = `${base}${spec.path}`
    const headers: Record<string, string> = { accept: 'application/json', ...spec.headers }
    let body: string | undefined
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(spec.json)
    } else if (spec.raw) {
      headers['content-type'] = spec.raw.contentType
      body = spec.raw.body
    }
    if (spec.auth !== false) {
      const token = await options.accessToken()
      if (options.dpop) {
        headers.authorization = `DPoP ${token}`
        headers.dpop = await options.dpop.proof({ method: spec.method, url, accessToken: token })
      } else {
        headers.authorization = `Bearer ${token}`
      }
    }
    const res = await doFetch(url, { method: spec.method, headers, ...(body === undefined ? {} : { body }) })
    if (!res.ok) throw await errorFromResponse(res)
    const text = await res.text()
    return (text ? JSON.parse(text) : undefined) as T
  }

  return {
    me: () => call<Me>({ method: 'GET', path: '/partner/v1/me' }),
    friends: () => call<Friends>({ method: 'GET', path: '/partner/v1/friends' }),
    sendRecommendations: (recommendation, { idempotencyKey }) =>
      call<RecommendationSends>({
        method: 'POST',
        path: '/partner/v1/recommendations',
        json: recommendation,
        headers: { 'idempotency-key': idempotencyKey },
      }),
    publishActivity: (activity) =>
      call<PublishedActivity>({ method: 'POST', path: '/partner/v1/activity', json: activity }),
    submitReport: (jws) =>
      call<ReportReceipt>({
        method: 'POST',
        path: '/partner/v1/reports',
        raw: { contentType: 'application/jose', body: jws },
      }),
    // The receipt is its own proof (signed with the partner's registered key): no token is needed.
    submitDeletionReceipt: (jws) =>
      call<DeletionReceiptAccepted>({
        method: 'POST',
        path: '/partner/v1/deletion-receipts',
        json: { receipt: jws },
        auth: false,
      }),
  }
}
