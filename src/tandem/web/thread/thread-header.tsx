import type { Me, Thread } from '../api/types.ts'
import { Link, paths } from '../lib/router.tsx'
import { totalUnread, useApp } from '../state/app-state.ts'
import { Avatar } from '../ui/avatar.tsx'
import { BackIcon } from '../ui/icons.tsx'
import { UnreadBadge } from '../ui/unread-badge.tsx'

function subtitleOf(thread: Thread, me: Me): string {
  const others = thread.members.filter((m) => m.id !== me.id)
  if (thread.kind === 'direct') return others[0] ? `@${others[0].username}` : ''
  return `You, ${others.map((m) => m.displayName).join(', ')}`
}

export function ThreadHeader({ thread, me }: { thread: Thread | undefined; me: Me }) {
  const unread = useApp((s) => totalUnread(s.inbox.threads) - (thread?.unreadCount ?? 0))
  const other = thread?.kind === 'direct' ? thread.members.find((m) => m.id !== me.id) : undefined
  return (
    <header className="thread-header">
      <Link to={paths.inbox} className="back-link" data-testid="back-to-inbox">
        <BackIcon />
        <span>Chats</span>
        <UnreadBadge count={unread} testId="back-unread-badge" />
      </Link>
      {thread && <Avatar id={other?.id ?? thread.id} name={thread.title} group={thread.kind === 'group'} />}
      <div className="thread-header-text">
        <h1 id="thread-title" tabIndex={-1} data-testid="thread-title">
          {other ? (
            <Link
              to={paths.profile(other.username)}
              className="person-link"
              data-testid="thread-profile-link"
            >
              {thread?.title ?? other.displayName}
            </Link>
          ) : (
            (thread?.title ?? 'Conversation')
          )}
        </h1>
        {thread && <p className="thread-subtitle">{subtitleOf(thread, me)}</p>}
      </div>
    </header>
  )
}
