import type { ReactNode } from 'react'
import type { PublicUser } from '../api/types.ts'
import { Link } from '../lib/router.tsx'
import { Avatar } from '../ui/avatar.tsx'

interface PersonRowProps {
  user: PublicUser
  detail?: string
  testId: string
  children?: ReactNode
  /** Where the name leads, if anywhere (a friend's profile). */
  to?: string
}

/** A person in a list, with the actions that apply to them. */
export function PersonRow({ user, detail, testId, children, to }: PersonRowProps) {
  return (
    <li className="person-row" data-testid={testId} data-username={user.username}>
      <Avatar id={user.id} name={user.displayName} />
      <span className="person-row-text">
        <span className="person-row-name">
          {to ? (
            <Link to={to} className="person-link" data-testid="person-link">
              {user.displayName}
            </Link>
          ) : (
            user.displayName
          )}
        </span>
        <span className="person-row-detail">
          @{user.username}
          {detail ? ` · ${detail}` : ''}
        </span>
      </span>
      <span className="person-row-actions">{children}</span>
    </li>
  )
}
