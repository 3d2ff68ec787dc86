import type { ReactNode } from 'react'
import type { PublicUser } from '../api/types.ts'
import { Avatar } from '../ui/avatar.tsx'

interface PersonRowProps {
  user: PublicUser
  detail?: string
  testId: string
  children?: ReactNode
}

/** A person in a list, with the actions that apply to them. */
export function PersonRow({ user, detail, testId, children }: PersonRowProps) {
  return (
    <li className="person-row" data-testid={testId} data-username={user.username}>
      <Avatar id={user.id} name={user.displayName} />
      <span className="person-row-text">
        <span className="person-row-name">{user.displayName}</span>
        <span className="person-row-detail">
          @{user.username}
          {detail ? ` · ${detail}` : ''}
        </span>
      </span>
      <span className="person-row-actions">{children}</span>
    </li>
  )
}
