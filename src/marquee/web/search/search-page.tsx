import { useEffect, useRef, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import type { Title } from '../api/types.ts'
import { TitleGrid } from '../browse/title-card.tsx'
import { usePageTitle } from '../lib/page-title.ts'
import { navigate, paths, useSearch } from '../lib/router.tsx'
import { SearchIcon } from '../ui/icons.tsx'

type Results = { query: string; titles: Title[] } | null

export function SearchPage() {
  usePageTitle('Search')
  const initial = new URLSearchParams(useSearch()).get('q') ?? ''
  const [query, setQuery] = useState(initial)
  const [results, setResults] = useState<Results>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const input = useRef<HTMLInputElement>(null)

  useEffect(() => {
    input.current?.focus()
  }, [])

  useEffect(() => {
    const q = query.trim()
    if (!q) {
      setResults(null)
      setError(null)
      return
    }
    const controller = new AbortController()
    const timer = setTimeout(async () => {
      setBusy(true)
      try {
        const { titles } = await api.search(q, controller.signal)
        setResults({ query: q, titles })
        setError(null)
        navigate(paths.search(q), { replace: true, keepScroll: true })
      } catch (failure) {
        if (!controller.signal.aborted) setError(describeError(failure))
      } finally {
        if (!controller.signal.aborted) setBusy(false)
      }
    }, 250)
    return () => {
      clearTimeout(timer)
      controller.abort()
    }
  }, [query])

  return (
    <div className="search-page">
      <h1 className="sr-only" tabIndex={-1}>
        Search
      </h1>
      <search>
        <form className="search-box" onSubmit={(e) => e.preventDefault()}>
          <SearchIcon width={22} height={22} />
          <label htmlFor="search-input" className="sr-only">
            Search titles
          </label>
          <input
            id="search-input"
            ref={input}
            type="search"
            placeholder="Titles, genres, years…"
            autoComplete="off"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            data-testid="search-input"
            aria-describedby="search-status"
          />
        </form>
      </search>
      <p id="search-status" className="muted small" role="status" aria-live="polite">
        {busy
          ? 'Searching…'
          : results
            ? `${results.titles.length} ${results.titles.length === 1 ? 'title' : 'titles'} for “${results.query}”`
            : ''}
      </p>
      {error && <Notice tone="error">{error}</Notice>}
      {results && results.titles.length === 0 && !busy && (
        <p className="empty">No titles match “{results.query}”. Try another word.</p>
      )}
      {results && results.titles.length > 0 && (
        <div data-testid="search-results">
          <TitleGrid titles={results.titles} shareSurface="search" testId="search-result" />
        </div>
      )}
    </div>
  )
}
