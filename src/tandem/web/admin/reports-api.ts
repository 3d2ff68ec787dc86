import { path } from '../../../lib/web/endpoints.ts'
import type { Reconciliation } from '../../reports/reconciliation.ts'
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

// The reconciliation travels as intake stored it: its shape is the server's own type (erased at build).
export type { Reconciliation, ReconciliationFlag } from '../../reports/reconciliation.ts'

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
    request<{ reports: ReportVersion[] }>('GET', path('/api/admin/partners/:id/reports', clientId), {
      signal,
    }),
  report: (id: string, signal?: AbortSignal) =>
    request<ReportView>('GET', path('/api/admin/reports/:id', id), { signal }),
}
