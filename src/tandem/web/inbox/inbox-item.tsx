import type { Me, Thread } from '../api/types.ts'
import { fullTime, shortTime } from '../lib/format.ts'
import { Link, paths } from '../lib/router.tsx'
import { Avatar } from '../ui/avatar.tsx'
import { UnreadBadge } from '../ui/unread-badge.tsx'
import { previewLine } from './thread-preview.ts'

interface InboxItemProps {
  thread: Thread
  me: Me
  selected: boolean
}

export function InboxItem({ thread, me, selected }: InboxItemProps) {
  const other = thread.kind === 'direct' ? thread.members.find((m) => m.id !== me.id) : undefined
  const unread = thread.unreadCount > 0
  const when = thread.lastMessage?.createdAt ?? thread.updatedAt
  return (
    <li>
      <Link
        to={paths.thread(thread.id)}
        className={`inbox-item${unread ? ' is-unread' : ''}`}
        aria-current={selected ? 'page' : undefined}
        data-testid="inbox-item"
        data-thread-id={thread.id}
        data-unread={thread.unreadCount}
      >
        <Avatar id={other?.id ?? thread.id} name={thread.title} group={thread.kind === 'group'} />
        <span className="inbox-item-main">
          <span className="inbox-item-top">
            <span className="inbox-item-title" data-testid="inbox-item-title">
              {thread.title}
            </span>
            <time className="inbox-item-time" dateTime={when} title={fullTime(when)}>
              {shortTime(when)}
            </time>
          </span>
          <span className="inbox-item-bottom">
            <span className="inbox-item-preview" data-testid="inbox-item-preview">
              {previewLine(thread, me)}
            </span>
            <UnreadBadge count={thread.unreadCount} />
          </span>
        </span>
      </Link>
    </li>
  )
}
