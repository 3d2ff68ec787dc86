import type { ActivityRow } from './activity.repository.ts'

/** Title fields are the partner's words: clients render them as text, never as markup. */
export const presentActivityItem = (row: ActivityRow) => ({
  id: row.id,
  kind: row.kind,
  title: {
    id: row.title.id,
    name: row.title.name,
    imageUrl: row.title.imageUrl ?? null,
    url: row.title.url,
  },
  partner: { clientId: row.client_id, name: row.partner_name },
  createdAt: row.created_at.toISOString(),
})
