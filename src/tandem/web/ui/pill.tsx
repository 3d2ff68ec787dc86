import type { ReactNode } from 'react'

export type PillTone = 'neutral' | 'good' | 'warn' | 'bad' | 'info'

/** A short status word in a coloured capsule; the word carries the meaning, the colour only repeats it. */
export function Pill({ tone, children, testId }: { tone: PillTone; children: ReactNode; testId?: string }) {
  return (
    <span className={`pill pill-${tone}`} data-testid={testId}>
      {children}
    </span>
  )
}
