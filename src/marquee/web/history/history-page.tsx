import { useCallback, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { useResource } from '../../../lib/web/use-resource.ts'
import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import { formatDateTime, percent } from '../lib/format.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { LoadError, Loading } from '../ui/states.tsx'

export function HistoryPage() {
  usePageTitle('History')
  const load = useCallback((signal: AbortSignal) => api.history(signal), [])
  const history = useResource(load)
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)

  const forget = async (titleId: string, name: string) => {
    setBusy(titleId)
    setError(null)
    try {
      await api.forget(titleId)
      history.mutate((d) => ({ history: d.history.filter((h) => h.title.id !== titleId) }))
      document.getElementById('history-heading')?.focus()
    } catch (failure) {
      setError(`Could not remove ${name}: ${describeError(failure)}`)
    } finally {
      setBusy(null)
    }
  }

  return (
    <div>
      <header className="page-header">
        <h1 id="history-heading" tabIndex={-1}>
          History
        </h1>
      </header>
      <p className="muted">
        What you watched on Marquee. Removing a title also removes it from your recommendations.
      </p>
      {history.status === 'loading' && <Loading />}
      {history.status === 'error' && <LoadError error={history.error} retry={history.reload} />}
      {error && <Notice tone="error">{error}</Notice>}
      {history.data && history.data.history.length === 0 && (
        <p className="empty">
          Nothing watched yet. <Link to={paths.browse}>Find something to watch.</Link>
        </p>
      )}
      <ul className="history-list">
        {history.data?.history.map(({ title, watch }) => (
          <li key={title.id} className="history-item" data-testid="history-item" data-title-id={title.id}>
            <img src={title.posterUrl} alt="" className="history-poster" loading="lazy" />
            <div className="history-text">
              <Link to={paths.title(title.id)} className="history-name">
                {title.name}
              </Link>
              <span className="muted small">
                {watch.finished
                  ? `Finished ${formatDateTime(watch.finishedAt)}`
                  : `Watched ${formatDateTime(watch.updatedAt)}`}
              </span>
              <span className="progress-bar" aria-hidden="true">
                <span
                  style={{
                    width: `${watch.finished ? 100 : percent(watch.positionSeconds, watch.runtimeSeconds)}%`,
                  }}
                />
              </span>
              <span className="sr-only">
                {watch.finished
                  ? 'Finished'
                  : `${percent(watch.positionSeconds, watch.runtimeSeconds)}% watched`}
              </span>
            </div>
            <div className="history-actions">
              <Link to={paths.watch(title.id)} className="button">
                {watch.finished ? 'Watch again' : 'Resume'}
              </Link>
              <button
                type="button"
                className="button button-ghost"
                disabled={busy === title.id}
                onClick={() => forget(title.id, title.name)}
                aria-label={`Remove ${title.name} from history`}
              >
                Remove
              </button>
            </div>
          </li>
        ))}
      </ul>
    </div>
  )
}
