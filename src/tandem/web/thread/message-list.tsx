import { type ReactNode, useCallback, useLayoutEffect, useRef, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import type { Me, Message, Thread } from '../api/types.ts'
import { dayLabel, sameDay } from '../lib/format.ts'
import { MessageItem } from './message-item.tsx'
import { PendingItem } from './pending-item.tsx'
import type { PendingMessage, ThreadMessages } from './use-thread-messages.ts'

const RUN_GAP_MS = 5 * 60_000
const NEAR_BOTTOM_PX = 80

interface MessageListProps {
  thread: Thread | undefined
  me: Me
  data: ThreadMessages
  onLoadOlder: () => void
  onRetry: (key: string) => void
  onDiscard: (key: string) => void
}

const startsRun = (prev: Message | undefined, m: Message) =>
  !prev ||
  prev.sender.id !== m.sender.id ||
  (prev.via?.clientId ?? null) !== (m.via?.clientId ?? null) ||
  Date.parse(m.createdAt) - Date.parse(prev.createdAt) > RUN_GAP_MS ||
  !sameDay(prev.createdAt, m.createdAt)

function rowsOf(
  messages: Message[],
  pending: PendingMessage[],
  me: Me,
  group: boolean,
  handlers: PendingHandlers,
) {
  const rows: ReactNode[] = []
  messages.forEach((m, i) => {
    const prev = messages[i - 1]
    if (!prev || !sameDay(prev.createdAt, m.createdAt)) {
      rows.push(
        <li key={`day-${m.id}`} className="day-separator">
          <span>{dayLabel(m.createdAt)}</span>
        </li>,
      )
    }
    const mine = m.sender.id === me.id && !m.via
    const first = startsRun(prev, m)
    const next = messages[i + 1]
    const last = !next || startsRun(m, next)
    rows.push(
      <MessageItem
        key={m.id}
        message={m}
        mine={mine}
        first={first}
        last={last}
        showSender={group && !mine && first}
      />,
    )
  })
  for (const p of pending) {
    rows.push(
      <PendingItem key={p.key} pending={p} onRetry={handlers.onRetry} onDiscard={handlers.onDiscard} />,
    )
  }
  return rows
}

interface PendingHandlers {
  onRetry: (key: string) => void
  onDiscard: (key: string) => void
}

/** The scrolling conversation: keeps to the bottom as messages arrive unless the reader scrolled up. */
export function MessageList({ thread, me, data, onLoadOlder, onRetry, onDiscard }: MessageListProps) {
  const scroller = useRef<HTMLDivElement>(null)
  const list = useRef<HTMLOListElement>(null)
  const atBottom = useRef(true)
  const seen = useRef<{ firstId?: string; lastId?: string; pending: number }>({ pending: 0 })
  const olderAnchor = useRef<number | null>(null)
  const [unseen, setUnseen] = useState(0)
  const [announcement, setAnnouncement] = useState('')

  const scrollToBottom = useCallback(() => {
    const el = scroller.current
    if (el) el.scrollTop = el.scrollHeight
    atBottom.current = true
    setUnseen(0)
  }, [])

  const first = data.messages[0]
  const last = data.messages.at(-1)
  const pendingCount = data.pending.length

  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    const before = seen.current
    const appended = last !== undefined && last.id !== before.lastId
    if (olderAnchor.current !== null && first?.id !== before.firstId && !appended) {
      // Older messages went in above: keep what the reader was looking at where it was.
      el.scrollTop = el.scrollHeight - olderAnchor.current
      olderAnchor.current = null
    } else if (appended || pendingCount > before.pending) {
      const mine =
        pendingCount > before.pending || (last !== undefined && last.sender.id === me.id && !last.via)
      if (before.lastId === undefined || atBottom.current || mine) scrollToBottom()
      else setUnseen((n) => n + 1)
      if (appended && before.lastId !== undefined && last.sender.id !== me.id) {
        setAnnouncement(`${last.sender.displayName}: ${last.text || last.card?.title || ''}`)
      }
    }
    seen.current = { firstId: first?.id, lastId: last?.id, pending: pendingCount }
  }, [first, last, pendingCount, me.id, scrollToBottom])

  // Images in title cards load after layout: stay at the bottom while the reader is there.
  useLayoutEffect(() => {
    const el = scroller.current
    const content = list.current
    if (!el || !content || typeof ResizeObserver === 'undefined') return
    const observer = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight
    })
    observer.observe(content)
    return () => observer.disconnect()
  }, [])

  const onScroll = () => {
    const el = scroller.current
    if (!el) return
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX
    if (atBottom.current && unseen > 0) setUnseen(0)
  }

  const loadOlder = () => {
    const el = scroller.current
    if (el) olderAnchor.current = el.scrollHeight - el.scrollTop
    onLoadOlder()
  }

  const group = thread?.kind === 'group'
  return (
    <div className="message-scroller" ref={scroller} onScroll={onScroll}>
      <div className="message-scroller-inner">
        {data.nextCursor && (
          <div className="load-older">
            <button
              type="button"
              className="button button-small"
              onClick={loadOlder}
              disabled={data.loadingOlder}
              data-testid="load-older"
            >
              {data.loadingOlder ? 'Loading…' : 'Load older messages'}
            </button>
          </div>
        )}
        {data.olderError && <Notice tone="error">{data.olderError}</Notice>}
        {data.status === 'loading' && <p className="muted center">Loading messages…</p>}
        {data.status === 'error' && <Notice tone="error">{data.error}</Notice>}
        {data.status === 'ready' && data.messages.length === 0 && data.pending.length === 0 && (
          <p className="muted center empty-thread">No messages yet. Say hello!</p>
        )}
        <ol className="message-list" ref={list} aria-label="Messages" data-testid="message-list">
          {rowsOf(data.messages, data.pending, me, group, { onRetry, onDiscard })}
        </ol>
      </div>
      <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="message-announcer">
        {announcement}
      </div>
      {unseen > 0 && (
        <button type="button" className="new-messages" onClick={scrollToBottom}>
          {unseen === 1 ? '1 new message' : `${unseen} new messages`} ↓
        </button>
      )}
    </div>
  )
}
