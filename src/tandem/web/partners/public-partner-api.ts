import { path } from '../../../lib/web/endpoints.ts'
import { request } from '../api/http.ts'

export type PublicDimension = 'interface' | 'surface' | 'variant' | 'recipientType'
type Breakdown = Array<{ value: string; sends: number[]; clicks: number[]; uniqueClicks: number[] }>

export interface PublicPeriod {
  reportId: string
  periodStart: string
  periodEnd: string
  receivedAt: string
  days: string[]
  dimensions: Record<PublicDimension, string[]>
  totals: Record<PublicDimension, Breakdown>
  privacy: { mechanism: string; halfWidth95: unknown; inPlainWords: string[] }
}

export interface PublicPartner {
  partner: { clientId: string; name: string; homepageUrl: string; privacyPolicyUrl: string; status: string }
  apis: Array<{ api: string; validUntil: string; purpose: string }>
  periods: PublicPeriod[]
}

export const publicPartner = (clientId: string, signal?: AbortSignal) =>
  request<PublicPartner>('GET', path('/api/public/partners/:id', clientId), {
    signal,
    expectUnauthenticated: true,
  })
