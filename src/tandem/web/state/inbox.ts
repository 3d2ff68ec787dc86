import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import type { Message, Thread, ThreadPreview } from '../api/types.ts'
import { appStore, currentUser, type InboxState } from './app-state.ts'

const setInbox = (update: (inbox: InboxState) => InboxState) =>
  appStore.set((s) => ({ ...s, inbox: update(s.inbox) }))

const byActivity = (a: Thread, b: Thread) =>
  a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0

/**
 * Combines what the server said about a thread with what this tab knows, since a response may have
 * been computed before a realtime event that already arrived: the newer last message wins, and read
 * markers only move forward.
 */
function reconcile(known: Thread | undefined, fetched: Thread): Thread {
  if (!known) return fetched
  const newer = fetched.lastSeq >= known.lastSeq ? fetched : known
  const lastSeq = newer.lastSeq
  const lastReadSeq = Math.min(lastSeq, Math.max(known.lastReadSeq, fetched.lastReadSeq))
  return {
    ...fetched,
    lastMessage: newer.lastMessage,
    lastSeq,
    lastReadSeq,
    unreadCount: Math.max(0, lastSeq - lastReadSeq),
    updatedAt: newer.updatedAt,
  }
}

export async function loadInbox(): Promise<void> {
  setInbox((inbox) => ({ ...inbox, status: inbox.status === 'ready' ? 'ready' : 'loading', error: null }))
  try {
    const page = await api.threads()
    setInbox((inbox) => {
      // A refetch keeps the threads of further pages already loaded, and the cursor past them.
      const known = new Map(inbox.threads.map((t) => [t.id, t]))
      const threads = page.threads.map((t) => reconcile(known.get(t.id), t))
      const fresh = new Set(threads.map((t) => t.id))
      const older = inbox.threads.filter((t) => !fresh.has(t.id))
      const keepOlder = page.nextCursor !== null && older.length > 0
      return {
        ...inbox,
        threads: (keepOlder ? [...threads, ...older] : threads).sort(byActivity),
        nextCursor: keepOlder ? inbox.nextCursor : page.nextCursor,
        status: 'ready',
        error: null,
      }
    })
  } catch (error) {
    setInbox((inbox) => ({
      ...inbox,
      status: inbox.status === 'ready' ? 'ready' : 'error',
      error: describeError(error),
    }))
  }
}

export async function loadMoreInbox(): Promise<void> {
  const { nextCursor, loadingMore } = appStore.get().inbox
  if (!nextCursor || loadingMore) return
  setInbox((inbox) => ({ ...inbox, loadingMore: true }))
  try {
    const page = await api.threads(nextCursor)
    setInbox((inbox) => {
      const known = new Set(inbox.threads.map((t) => t.id))
      return {
        ...inbox,
        threads: [...inbox.threads, ...page.threads.filter((t) => !known.has(t.id))].sort(byActivity),
        nextCursor: page.nextCursor,
        loadingMore: false,
      }
    })
  } catch (error) {
    setInbox((inbox) => ({ ...inbox, loadingMore: false, error: describeError(error) }))
  }
}

export function upsertThread(thread: Thread): void {
  setInbox((inbox) => {
    const merged = reconcile(
      inbox.threads.find((t) => t.id === thread.id),
      thread,
    )
    return {
      ...inbox,
      threads: [merged, ...inbox.threads.filter((t) => t.id !== thread.id)].sort(byActivity),
    }
  })
}

/** Fetches one thread (new, or unknown to the loaded pages) into the inbox. */
export async function refreshThread(threadId: string): Promise<Thread | undefined> {
  try {
    const { thread } = await api.thread(threadId)
    upsertThread(thread)
    return thread
  } catch {
    return undefined
  }
}

export const previewOf = (message: Message): ThreadPreview => ({
  id: message.id,
  seq: message.seq,
  kind: message.kind,
  text: message.kind === 'title_card' && !message.text ? (message.card?.title ?? '') : message.text,
  senderId: message.sender.id,
  senderName: message.sender.displayName,
  viaName: message.via ? message.via.name : null,
  createdAt: message.createdAt,
})

/** Moves a thread to the top with its new last message; counts it unread unless it is on screen or mine. */
export function applyMessage(message: Message): void {
  const state = appStore.get()
  const thread = state.inbox.threads.find((t) => t.id === message.threadId)
  if (!thread) {
    void refreshThread(message.threadId)
    return
  }
  if (thread.lastMessage && thread.lastMessage.seq >= message.seq) return
  const mine = message.sender.id === currentUser()?.id && !message.via
  const onScreen = state.viewingThreadId === thread.id && document.visibilityState === 'visible'
  const lastSeq = Math.max(thread.lastSeq, message.seq)
  const lastReadSeq = mine || onScreen ? Math.max(thread.lastReadSeq, message.seq) : thread.lastReadSeq
  upsertThread({
    ...thread,
    lastMessage: previewOf(message),
    lastSeq,
    lastReadSeq,
    unreadCount: Math.max(0, lastSeq - lastReadSeq),
    updatedAt: [message.createdAt, thread.updatedAt].sort().at(-1)!,
  })
}

export function applyRead(threadId: string, lastReadSeq: number): void {
  setInbox((inbox) => {
    const thread = inbox.threads.find((t) => t.id === threadId)
    if (!thread || thread.lastReadSeq >= lastReadSeq) return inbox
    const read = Math.min(lastReadSeq, thread.lastSeq)
    const updated = { ...thread, lastReadSeq: read, unreadCount: Math.max(0, thread.lastSeq - read) }
    return { ...inbox, threads: inbox.threads.map((t) => (t.id === threadId ? updated : t)) }
  })
}

/** Marks a thread read up to `seq` here at once, then on the server (which tells my other tabs). */
export async function markThreadRead(threadId: string, seq: number): Promise<void> {
  applyRead(threadId, seq)
  try {
    const result = await api.markRead(threadId, seq)
    applyRead(threadId, result.lastReadSeq)
  } catch {
    // The next message or visit marks it again.
  }
}

export function setViewingThread(threadId: string | null): void {
  appStore.set((s) => (s.viewingThreadId === threadId ? s : { ...s, viewingThreadId: threadId }))
}
