import { request } from './http.ts'
import type { Friend, FriendRequest, Me, Message, Thread } from './types.ts'

const path = (template: string, id: string) => template.replace(':id', encodeURIComponent(id))

export const api = {
  me: () => request<{ user: Me }>('GET', '/api/me', { expectUnauthenticated: true }),
  signUp: (body: { username: string; displayName: string; password: string }) =>
    request<{ user: Me }>('POST', '/api/signup', { body, expectUnauthenticated: true }),
  logIn: (body: { username: string; password: string }) =>
    request<{ user: Me }>('POST', '/api/login', { body, expectUnauthenticated: true }),
  logOut: () => request<void>('POST', '/api/logout', { expectUnauthenticated: true }),
  updateMe: (body: { displayName?: string; allowSuggestions?: boolean }) =>
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
}
