import type { Agreement } from './agreements.repository.ts'
import { API_SCOPES, agreementStatus } from './agreements.service.ts'

export const presentAgreement = (a: Agreement, now: Date) => ({
  id: a.id,
  clientId: a.client_id,
  api: a.api,
  version: a.version,
  scopes: [...API_SCOPES[a.api]],
  validFrom: a.valid_from.toISOString(),
  validUntil: a.valid_until.toISOString(),
  endedAt: a.ended_at?.toISOString() ?? null,
  endReason: a.end_reason,
  obligations: a.obligations ?? {},
  createdBy: a.created_by,
  createdAt: a.created_at.toISOString(),
  status: agreementStatus(a, now),
})
