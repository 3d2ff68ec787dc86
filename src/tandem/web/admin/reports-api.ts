import { request } from '../api/http.ts'

export type Measure = 'sends' | 'clicks' | 'uniqueClicks'
export type Series = Record<Measure, number[]>

export interface ReportVersion {
  id: string
  clientId: string
  periodStart: string
  periodEnd: string
  status: 'provisional' | 'final'
  supersedes: string | null
  supersededBy: string | null
  receivedAt: string
  dueAt: string
  timeliness: 'on_time' | 'late'
  verdict: 'consistent' | 'discrepant' | null
  flaggedCells: number | null
}

export interface ReconciliationFlag {
  level: 'day' | 'period'
  day: string | null
  interface: string
  surface: string
  variant: string
  measure: Measure
  direction: 'under' | 'over'
  reported: number
  tandem: number
  excess: number
  allowance: number
}

export interface Reconciliation {
  verdict: 'consistent' | 'discrepant'
  noise: {
    mechanism: string
    scale: number | null
    halfWidth95: number
    expectedHalfWidth95: number | null
    manifestConsistent: boolean
  }
  checks: { day: number; period: number }
  flags: ReconciliationFlag[]
  flagCounts: { day: number; period: number }
  allowedFlags: { day: number; period: number }
  unreportedCells: number
  totals: {
    reportedSends: number
    tandemSends: number
    reportedUniqueClicks: number
    tandemUniqueClicks: number
  }
}

export interface ReportCell {
  interface: string
  surface: string
  variant: string
  reported: Series
  tandem: Series
}

export type ChartDimension = 'interface' | 'surface' | 'variant'
export type Breakdown = Array<{ value: string } & Series>

export interface ReportView {
  report: ReportVersion & { partnerName: string; generatedAt: string }
  manifest: Record<string, unknown>
  dimensions: Record<ChartDimension | 'recipientType', string[]>
  days: string[]
  breakdowns: Record<ChartDimension, Breakdown>
  cells: ReportCell[]
  reconciliation: Reconciliation
}

export const reportsApi = {
  versions: (clientId: string, signal?: AbortSignal) =>
    request<{ reports: ReportVersion[] }>(
      'GET',
      `/api/admin/partners/${encodeURIComponent(clientId)}/reports`,
      { signal },
    ),
  report: (id: string, signal?: AbortSignal) =>
    request<ReportView>('GET', `/api/admin/reports/${encodeURIComponent(id)}`, { signal }),
}
