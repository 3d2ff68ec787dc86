import { useCallback, useEffect, useState } from 'react'
import { describeError } from '../api/http.ts'

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface Pages<T> extends Page<T> {
  /** `more` while a later page loads; the items already on screen stay. */
  status: 'loading' | 'ready' | 'more'
  error: string | null
  setError(error: string | null): void
  /** Changes items on screen, after an action whose answer says what became of them. */
  setItems(update: (items: T[]) => T[]): void
  /** The first page again, or the page after `before` added below the rest. */
  load(before?: string): Promise<void>
}

/**
 * A list read a page at a time, newest first, from its first page on. `fetchPage` must be stable
 * (useCallback); a new one starts again from the first page.
 */
export function usePages<T>(fetchPage: (before: string | undefined) => Promise<Page<T>>): Pages<T> {
  const [items, setItems] = useState<T[]>([])
  const [nextCursor, setNextCursor] = useState<string | null>(null)
  const [status, setStatus] = useState<Pages<T>['status']>('loading')
  const [error, setError] = useState<string | null>(null)

  const load = useCallback(
    async (before?: string) => {
      setStatus(before ? 'more' : 'loading')
      setError(null)
      try {
        const page = await fetchPage(before)
        setItems((current) => (before ? [...current, ...page.items] : page.items))
        setNextCursor(page.nextCursor)
      } catch (failure) {
        setError(describeError(failure))
      } finally {
        setStatus('ready')
      }
    },
    [fetchPage],
  )

  useEffect(() => {
    void load()
  }, [load])

  return { items, nextCursor, status, error, setError, setItems, load }
}

/** The button under a paged list that adds the next page, while there is one. */
export function LoadMore({ pages }: { pages: Pages<unknown> }) {
  const { nextCursor } = pages
  if (!nextCursor) return null
  return (
    <div className="load-more">
      <button
        type="button"
        className="button button-small"
        disabled={pages.status === 'more'}
        onClick={() => void pages.load(nextCursor)}
      >
        {pages.status === 'more' ? 'Loading…' : 'Load more'}
      </button>
    </div>
  )
}
