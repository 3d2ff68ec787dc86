import { useCallback } from 'react'
import { useResource } from '../../../lib/web/use-resource.ts'
import { api } from '../api/endpoints.ts'
import type { BrowseRow, Title, Watch } from '../api/types.ts'
import { formatRuntime, genreLabel, percent } from '../lib/format.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { openShare } from '../share/share-store.ts'
import { PlayIcon, ShareIcon } from '../ui/icons.tsx'
import { LoadError, Loading } from '../ui/states.tsx'
import { TitleRow } from './title-row.tsx'

/** Continue-watching titles may carry the viewer's watch; the bar shows how far they got. */
const progressOf = (title: Title) => {
  const watch = (title as Title & { watch?: Watch | null }).watch
  return watch ? percent(watch.positionSeconds, watch.runtimeSeconds) : undefined
}

function Hero({ title, resume }: { title: Title; resume: boolean }) {
  return (
    <section className="hero" aria-labelledby="hero-title" data-testid="browse-hero">
      <img className="hero-poster" src={title.posterUrl} alt="" />
      <div className="hero-text">
        <p className="eyebrow">{resume ? 'Continue watching' : 'Featured'}</p>
        <h2 id="hero-title" className="hero-title">
          {title.name}
        </h2>
        <p className="muted">
          {title.year} · {formatRuntime(title.runtimeMinutes)} · {title.genres.map(genreLabel).join(', ')}
        </p>
        <p className="hero-synopsis">{title.synopsis}</p>
        <div className="actions">
          <Link className="button button-primary" to={paths.watch(title.id)} data-nav="action">
            <PlayIcon width={18} height={18} /> {resume ? 'Resume' : 'Play'}
          </Link>
          <Link className="button" to={paths.title(title.id)} data-nav="action">
            More info
          </Link>
          <button type="button" className="button" onClick={() => openShare(title, 'browse_row')}>
            <ShareIcon width={18} height={18} /> Share
          </button>
        </div>
      </div>
    </section>
  )
}

export function BrowsePage() {
  usePageTitle('Home')
  const load = useCallback((signal: AbortSignal) => api.browse(signal), [])
  const browse = useResource(load)
  const rows: BrowseRow[] = browse.data?.rows ?? []
  const continuing = rows.find((r) => r.kind === 'continue')?.titles[0]
  const featured = continuing ?? rows.find((r) => r.kind === 'genre')?.titles[0] ?? rows[0]?.titles[0]
  return (
    <div className="browse">
      <h1 className="sr-only" tabIndex={-1}>
        Home
      </h1>
      {browse.status === 'loading' && <Loading label="Loading what's on…" />}
      {browse.status === 'error' && <LoadError error={browse.error} retry={browse.reload} />}
      {featured && <Hero title={featured} resume={featured === continuing} />}
      {browse.status === 'ready' && rows.length === 0 && (
        <p className="empty">Nothing to show yet. Try searching for a title.</p>
      )}
      {rows.map((row) => (
        <TitleRow
          key={row.id}
          rowId={row.id}
          kind={row.kind}
          name={row.name}
          titles={row.titles}
          shareSurface="browse_row"
          progressOf={row.kind === 'continue' ? progressOf : undefined}
        />
      ))}
    </div>
  )
}
