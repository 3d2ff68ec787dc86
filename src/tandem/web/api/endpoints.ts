import { accountEndpoints, path, query } from '../../../lib/web/endpoints.ts'
import { request } from './http.ts'
import type {
  ActivityItem,
  Agreement,
  Compliance,
  ConnectedApp,
  DisconnectedApp,
  Friend,
  FriendRequest,
  LedgerEntry,
  LedgerVerification,
  Me,
  Message,
  MutedPartner,
  NewAgreements,
  NewPartner,
  Partner,
  Thread,
  WebhookDelivery,
} from './types.ts'

/** Where the browser downloads one partner's ledger (the server answers with an attachment). */
export const ledgerDownloadUrl = (clientId: string, format: 'csv' | 'json') =>
  `${path('/api/connected-apps/:id/ledger', clientId)}?format=${format}`

export const api = {
  ...accountEndpoints<Me>(request),
  updateMe: (body: { displayName?: string; allowSuggestions?: boolean; partnerActivityEnabled?: boolean }) =>
    request<{ user: Me }>('PATCH', '/api/me', { body }),

  friends: () => request<{ friends: Friend[] }>('GET', '/api/friends'),
  requests: () =>
    request<{ incoming: FriendRequest[]; outgoing: FriendRequest[] }>('GET', '/api/friends/requests'),
  sendRequest: (username: string) =>
    request<{ request: FriendRequest }>('POST', '/api/friends/requests', { body: { username } }),
  acceptRequest: (id: string) =>
    request<{ request: FriendRequest }>('POST', path('/api/friends/requests/:id/accept', id)),
  declineRequest: (id: string) =>
    request<{ request: FriendRequest }>('POST', path('/api/friends/requests/:id/decline', id)),
  withdrawRequest: (id: string) => request<void>('DELETE', path('/api/friends/requests/:id', id)),
  unfriend: (userId: string) => request<void>('DELETE', path('/api/friends/:id', userId)),
  blocks: () => request<{ blocks: Friend[] }>('GET', '/api/blocks'),
  block: (userId: string) =>
    request<{ block: { userId: string; username: string } }>('POST', '/api/blocks', { body: { userId } }),
  unblock: (userId: string) => request<void>('DELETE', path('/api/blocks/:id', userId)),

  threads: (before?: string) =>
    request<{ threads: Thread[]; nextCursor: string | null }>(
      'GET',
      `/api/threads?limit=30${before ? `&before=${encodeURIComponent(before)}` : ''}`,
    ),
  thread: (id: string) => request<{ thread: Thread }>('GET', path('/api/threads/:id', id)),
  openThread: (usernames: string[], title?: string) =>
    request<{ thread: Thread }>('POST', '/api/threads', {
      body: title ? { usernames, title } : { usernames },
    }),
  messages: (threadId: string, before?: string) =>
    request<{ messages: Message[]; nextCursor: string | null }>(
      'GET',
      `${path('/api/threads/:id/messages', threadId)}?limit=50${before ? `&before=${encodeURIComponent(before)}` : ''}`,
    ),
  sendMessage: (threadId: string, text: string, idempotencyKey: string) =>
    request<{ message: Message }>('POST', path('/api/threads/:id/messages', threadId), {
      body: { text },
      headers: { 'idempotency-key': idempotencyKey },
    }),
  markRead: (threadId: string, seq: number) =>
    request<{ lastReadSeq: number; unreadCount: number }>('POST', path('/api/threads/:id/read', threadId), {
      body: { seq },
    }),

  partnerMutes: (signal?: AbortSignal) =>
    request<{ mutes: MutedPartner[] }>('GET', '/api/partners/mutes', { signal }),
  mutePartner: (clientId: string) => request<void>('POST', path('/api/partners/:id/mute', clientId)),
  unmutePartner: (clientId: string) => request<void>('DELETE', path('/api/partners/:id/mute', clientId)),
  reportMessage: (messageId: string, reason: string) =>
    request<{ id: string }>('POST', path('/api/messages/:id/report', messageId), { body: { reason } }),

  activity: (username: string, signal?: AbortSignal) =>
    request<{ items: ActivityItem[] }>('GET', path('/api/users/:id/activity', username), { signal }),
  deleteActivity: (id: string) => request<void>('DELETE', path('/api/activity/:id', id)),

  connectedApps: (signal?: AbortSignal) =>
    request<{ apps: ConnectedApp[]; disconnected: DisconnectedApp[] }>('GET', '/api/connected-apps', {
      signal,
    }),
  disconnectApp: (clientId: string) =>
    request<{ disconnected: { clientId: string; deletionRequests: { id: string; dueAt: string }[] } }>(
      'DELETE',
      path('/api/connected-apps/:id', clientId),
    ),
  ledger: (clientId: string, options: { limit?: number; before?: string | undefined } = {}) =>
    request<{ entries: LedgerEntry[]; nextCursor: string | null }>(
      'GET',
      `${path('/api/connected-apps/:id/ledger', clientId)}${query({ limit: options.limit, before: options.before })}`,
    ),
  verifyLedger: () => request<LedgerVerification>('GET', '/api/ledger/verify'),

  admin: {
    partners: (signal?: AbortSignal) =>
      request<{ partners: Partner[] }>('GET', '/api/admin/partners', { signal }),
    partner: (clientId: string, signal?: AbortSignal) =>
      request<{ partner: Partner }>('GET', path('/api/admin/partners/:id', clientId), { signal }),
    registerPartner: (body: NewPartner) =>
      request<{ partner: Partner; webhookSecret: string }>('POST', '/api/admin/partners', { body }),
    setPartnerStatus: (clientId: string, action: 'suspend' | 'activate') =>
      request<{ partner: Partner }>('POST', `${path('/api/admin/partners/:id', clientId)}/${action}`),
    compliance: (signal?: AbortSignal) =>
      request<{ partners: Compliance[] }>('GET', '/api/admin/compliance', { signal }),
    partnerCompliance: (clientId: string, signal?: AbortSignal) =>
      request<Compliance>('GET', path('/api/admin/partners/:id/compliance', clientId), { signal }),
    agreements: (clientId: string, signal?: AbortSignal) =>
      request<{ agreements: Agreement[] }>('GET', `/api/admin/agreements${query({ clientId })}`, { signal }),
    createAgreements: (body: NewAgreements) =>
      request<{ agreements: Agreement[] }>('POST', '/api/admin/agreements', { body }),
    extendAgreement: (id: string, validUntil: string) =>
      request<{ agreement: Agreement; superseded: Agreement }>(
        'POST',
        path('/api/admin/agreements/:id/extend', id),
        { body: { validUntil } },
      ),
    endAgreement: (id: string, reason: string) =>
      request<{ agreement: Agreement }>('POST', path('/api/admin/agreements/:id/end', id), {
        body: { reason },
      }),
    deliveries: (clientId: string, options: { limit?: number; before?: string | undefined } = {}) =>
      request<{ deliveries: WebhookDelivery[]; nextCursor: string | null }>(
        'GET',
        `${path('/api/admin/partners/:id/webhooks', clientId)}${query({ limit: options.limit, before: options.before })}`,
      ),
    retryDelivery: (id: string) =>
      request<{ delivery: WebhookDelivery }>('POST', path('/api/admin/webhooks/:id/retry', id)),
  },
}
