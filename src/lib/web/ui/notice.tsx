import type { ReactNode } from 'react'

interface NoticeProps {
  tone: 'error' | 'success' | 'info'
  children: ReactNode
  testId?: string
}

/** A status line: errors interrupt screen readers (alert), the rest wait their turn (status). */
export function Notice({ tone, children, testId }: NoticeProps) {
  return (
    <div
      className={`notice notice-${tone}`}
      role={tone === 'error' ? 'alert' : 'status'}
      data-testid={testId}
    >
      {children}
    </div>
  )
}
