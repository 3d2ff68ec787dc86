interface UnreadBadgeProps {
  count: number
  testId?: string
  /** What the number counts, for screen readers. */
  noun?: string
}

export function UnreadBadge({ count, testId = 'unread-badge', noun = 'unread' }: UnreadBadgeProps) {
  if (count <= 0) return null
  return (
    <span className="badge" data-testid={testId} data-count={count}>
      {count > 99 ? '99+' : count}
      <span className="sr-only"> {noun}</span>
    </span>
  )
}
