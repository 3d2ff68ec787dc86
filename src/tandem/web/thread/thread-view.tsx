import { useEffect, useRef, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { ApiError, describeError } from '../api/http.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { useMedia, WIDE_QUERY } from '../lib/use-media.ts'
import { usePageVisible } from '../lib/use-visibility.ts'
import { useApp, useMe } from '../state/app-state.ts'
import { applyRead, markThreadRead, setViewingThread, upsertThread } from '../state/inbox.ts'
import { Composer } from './composer.tsx'
import { MessageList } from './message-list.tsx'
import { ThreadHeader } from './thread-header.tsx'
import { useThreadMessages } from './use-thread-messages.ts'

type Lookup = 'pending' | 'missing' | { error: string }

/** One conversation: live messages, older ones on demand, read while on screen. Keyed by thread id. */
export function ThreadView({ threadId }: { threadId: string }) {
  const me = useMe()
  const thread = useApp((s) => s.inbox.threads.find((t) => t.id === threadId))
  const [lookup, setLookup] = useState<Lookup>('pending')
  const data = useThreadMessages(threadId)
  const visible = usePageVisible()
  const wide = useMedia(WIDE_QUERY)
  const reportedSeq = useRef<number | null>(null)

  useEffect(() => {
    setViewingThread(threadId)
    return () => setViewingThread(null)
  }, [threadId])

  useEffect(() => {
    if (thread) return
    let cancelled = false
    api.thread(threadId).then(
      ({ thread: found }) => {
        if (!cancelled) upsertThread(found)
      },
      (error: unknown) => {
        if (cancelled) return
        setLookup(
          error instanceof ApiError && (error.status === 404 || error.status === 400)
            ? 'missing'
            : { error: describeError(error) },
        )
      },
    )
    return () => {
      cancelled = true
    }
  }, [thread, threadId])

  usePageTitle(thread?.title ?? 'Conversation')

  // Marks read up to the newest message while the page is visible; my own messages are read already.
  const latest = data.messages.at(-1)
  const knownReadSeq = thread?.lastReadSeq
  useEffect(() => {
    if (knownReadSeq === undefined) return
    reportedSeq.current ??= knownReadSeq
    if (!latest || !visible || latest.seq <= reportedSeq.current) return
    reportedSeq.current = latest.seq
    if (latest.sender.id === me.id && !latest.via) applyRead(threadId, latest.seq)
    else void markThreadRead(threadId, latest.seq)
  }, [latest, visible, knownReadSeq, me.id, threadId])

  if (!thread && lookup === 'missing') {
    return (
      <div className="thread thread-missing">
        <h1 tabIndex={-1}>Conversation not found</h1>
        <p>It does not exist, or you are not in it.</p>
        <Link to={paths.inbox} className="button">
          Back to chats
        </Link>
      </div>
    )
  }

  return (
    <div className="thread" data-testid="thread" data-thread-id={threadId}>
      <ThreadHeader thread={thread} me={me} />
      {typeof lookup === 'object' && !thread && <Notice tone="error">{lookup.error}</Notice>}
      <MessageList
        thread={thread}
        me={me}
        data={data}
        onLoadOlder={() => void data.loadOlder()}
        onRetry={data.retry}
        onDiscard={data.discard}
      />
      <Composer
        threadId={threadId}
        recipient={thread?.title ?? 'this conversation'}
        onSend={data.send}
        autoFocus={wide}
      />
    </div>
  )
}
