import { useCallback, useEffect, useState } from 'react'
import { newIdempotencyKey } from '../../../lib/web/ids.ts'
import { api } from '../api/endpoints.ts'
import { ApiError, describeError } from '../api/http.ts'
import type { Message } from '../api/types.ts'
import { currentUser } from '../state/app-state.ts'
import { applyMessage } from '../state/inbox.ts'
import { onThreadEvent } from '../state/thread-events.ts'

/** A message typed here that the server has not confirmed yet; `key` is its Idempotency-Key. */
export interface PendingMessage {
  key: string
  text: string
  status: 'sending' | 'failed'
  error: string | null
  createdAt: string
}

export interface ThreadMessages {
  messages: Message[]
  pending: PendingMessage[]
  /** Pass as `before` to load the page before the oldest loaded message; null when there is none. */
  nextCursor: string | null
  status: 'loading' | 'ready' | 'error'
  error: string | null
  loadingOlder: boolean
  olderError: string | null
}

const initial: ThreadMessages = {
  messages: [],
  pending: [],
  nextCursor: null,
  status: 'loading',
  error: null,
  loadingOlder: false,
  olderError: null,
}

/** Messages by seq, each once, whichever way they arrived (page, realtime, send answer). */
function merge(current: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return current
  const byId = new Map(current.map((m) => [m.id, m]))
  for (const m of incoming) byId.set(m.id, m)
  return [...byId.values()].sort((a, b) => a.seq - b.seq)
}

function withLatestPage(state: ThreadMessages, page: { messages: Message[]; nextCursor: string | null }) {
  const newest = state.messages.at(-1)?.seq
  const oldestInPage = page.messages[0]?.seq
  // After a long disconnection the latest page may not reach what we had: start again from it.
  const gap =
    newest !== undefined &&
    oldestInPage !== undefined &&
    page.nextCursor !== null &&
    oldestInPage > newest + 1
  if (newest === undefined || gap) return { messages: page.messages, nextCursor: page.nextCursor }
  return { messages: merge(state.messages, page.messages), nextCursor: state.nextCursor }
}

/** Drops the first optimistic copy of a message of mine that arrived by another way. */
function settlePending(pending: PendingMessage[], message: Message): PendingMessage[] {
  if (message.sender.id !== currentUser()?.id || message.via) return pending
  const index = pending.findIndex((p) => p.status === 'sending' && p.text === message.text)
  return index < 0 ? pending : pending.filter((_, i) => i !== index)
}

function sendError(error: unknown): string {
  if (error instanceof ApiError && error.code === 'blocked') return 'You cannot message this person.'
  if (error instanceof ApiError && error.status === 0) return 'Not sent: you seem to be offline.'
  return `Not sent: ${describeError(error)}`
}

export function useThreadMessages(threadId: string) {
  const [state, setState] = useState<ThreadMessages>(initial)

  const loadLatest = useCallback(async () => {
    try {
      const page = await api.messages(threadId)
      setState((s) => ({ ...s, ...withLatestPage(s, page), status: 'ready', error: null }))
    } catch (error) {
      setState((s) => ({
        ...s,
        status: s.status === 'ready' ? 'ready' : 'error',
        error: describeError(error),
      }))
    }
  }, [threadId])

  useEffect(() => {
    void loadLatest()
    return onThreadEvent((event) => {
      if (event.type === 'resync') void loadLatest()
      else if (event.message.threadId === threadId) {
        const { message } = event
        setState((s) => ({
          ...s,
          messages: merge(s.messages, [message]),
          pending: settlePending(s.pending, message),
        }))
      }
    })
  }, [threadId, loadLatest])

  const loadOlder = useCallback(async () => {
    const before = state.nextCursor
    if (!before || state.loadingOlder) return
    setState((s) => ({ ...s, loadingOlder: true, olderError: null }))
    try {
      const page = await api.messages(threadId, before)
      setState((s) => ({
        ...s,
        messages: merge(s.messages, page.messages),
        nextCursor: page.nextCursor,
        loadingOlder: false,
      }))
    } catch (error) {
      setState((s) => ({ ...s, loadingOlder: false, olderError: describeError(error) }))
    }
  }, [threadId, state.nextCursor, state.loadingOlder])

  const deliver = useCallback(
    async (key: string, text: string) => {
      try {
        const { message } = await api.sendMessage(threadId, text, key)
        setState((s) => ({
          ...s,
          messages: merge(s.messages, [message]),
          pending: s.pending.filter((p) => p.key !== key),
        }))
        applyMessage(message)
      } catch (error) {
        setState((s) => ({
          ...s,
          pending: s.pending.map((p) =>
            p.key === key ? { ...p, status: 'failed', error: sendError(error) } : p,
          ),
        }))
      }
    },
    [threadId],
  )

  const send = useCallback(
    (text: string) => {
      const key = newIdempotencyKey()
      const pending: PendingMessage = {
        key,
        text,
        status: 'sending',
        error: null,
        createdAt: new Date().toISOString(),
      }
      setState((s) => ({ ...s, pending: [...s.pending, pending] }))
      void deliver(key, text)
    },
    [deliver],
  )

  /** Sends a failed message again with the same Idempotency-Key, so it is never stored twice. */
  const retry = useCallback(
    (key: string) => {
      const pending = state.pending.find((p) => p.key === key)
      if (!pending) return
      setState((s) => ({
        ...s,
        pending: s.pending.map((p) => (p.key === key ? { ...p, status: 'sending', error: null } : p)),
      }))
      void deliver(key, pending.text)
    },
    [deliver, state.pending],
  )

  const discard = useCallback((key: string) => {
    setState((s) => ({ ...s, pending: s.pending.filter((p) => p.key !== key) }))
  }, [])

  return { ...state, loadOlder, send, retry, discard, reload: loadLatest }
}
