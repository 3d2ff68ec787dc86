import type { ComplianceSummary } from './compliance.service.ts'

export const presentCompliance = (s: ComplianceSummary) => ({
  clientId: s.partner.client_id,
  name: s.partner.name,
  status: s.partner.status,
  inAgreement: s.inAgreement,
  agreements: s.agreements.map((a) => ({
    id: a.id,
    api: a.api,
    version: a.version,
    validFrom: a.valid_from.toISOString(),
    validUntil: a.valid_until.toISOString(),
    endedAt: a.ended_at?.toISOString() ?? null,
    endReason: a.end_reason,
    status: a.status,
  })),
  reports: {
    everyDays: s.reports.everyDays,
    due: s.reports.due.map((p) => ({
      periodStart: p.periodStart.toISOString(),
      periodEnd: p.periodEnd.toISOString(),
      dueAt: p.dueAt.toISOString(),
      status: p.status,
      ...(p.receivedAt ? { receivedAt: p.receivedAt.toISOString() } : {}),
    })),
  },
  deletionReceipts: s.deletionReceipts,
  grants: s.grants,
  recipientControls: s.recipientControls,
})
