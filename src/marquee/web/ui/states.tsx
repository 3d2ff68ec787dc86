import type { ReactNode } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'

/** What a screen shows while its data loads or when loading failed. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      {label}
    </p>
  )
}

export function LoadError({ error, retry }: { error: string | null; retry: () => void }) {
  return (
    <div className="load-error">
      <Notice tone="error">{error ?? 'Could not load this page.'}</Notice>
      <div className="actions">
        <button type="button" className="button" onClick={retry}>
          Try again
        </button>
        <a className="button button-ghost" href="/">
          Go to Home
        </a>
      </div>
    </div>
  )
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1 tabIndex={-1}>{title}</h1>
      {children}
    </header>
  )
}
