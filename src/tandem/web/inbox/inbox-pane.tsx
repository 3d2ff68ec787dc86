import { Notice } from '../../../lib/web/ui/notice.tsx'
import { Link, paths } from '../lib/router.tsx'
import { useApp, useMe } from '../state/app-state.ts'
import { loadInbox, loadMoreInbox } from '../state/inbox.ts'
import { PlusIcon } from '../ui/icons.tsx'
import { InboxItem } from './inbox-item.tsx'

export function InboxPane({ selectedId }: { selectedId: string | null }) {
  const me = useMe()
  const inbox = useApp((s) => s.inbox)
  return (
    <section className="inbox-pane" aria-labelledby="inbox-heading" data-testid="inbox">
      <div className="pane-header">
        <h2 id="inbox-heading" tabIndex={-1}>
          Chats
        </h2>
        <Link to={paths.newGroup} className="button button-ghost button-small" data-testid="new-group-link">
          <PlusIcon width={16} height={16} /> New group
        </Link>
      </div>
      {(inbox.status === 'loading' || inbox.status === 'idle') && inbox.threads.length === 0 && (
        <p className="muted pad">Loading conversations…</p>
      )}
      {inbox.status === 'error' && (
        <div className="pad">
          <Notice tone="error">{inbox.error}</Notice>
          <button type="button" className="button button-small" onClick={() => void loadInbox()}>
            Try again
          </button>
        </div>
      )}
      {inbox.status === 'ready' && inbox.threads.length === 0 && (
        <div className="empty pad">
          <p>No conversations yet.</p>
          <p>
            <Link to={paths.friends}>Add friends</Link> to start chatting.
          </p>
        </div>
      )}
      {inbox.threads.length > 0 && (
        <ul className="inbox-list" aria-label="Conversations" data-testid="inbox-list">
          {inbox.threads.map((thread) => (
            <InboxItem key={thread.id} thread={thread} me={me} selected={thread.id === selectedId} />
          ))}
        </ul>
      )}
      {inbox.nextCursor && (
        <div className="pad">
          <button
            type="button"
            className="button button-small button-block"
            disabled={inbox.loadingMore}
            onClick={() => void loadMoreInbox()}
          >
            {inbox.loadingMore ? 'Loading…' : 'Show older conversations'}
          </button>
        </div>
      )}
    </section>
  )
}
