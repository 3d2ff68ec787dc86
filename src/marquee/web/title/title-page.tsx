import { useCallback } from 'react'
import { useResource } from '../../../lib/web/use-resource.ts'
import { api } from '../api/endpoints.ts'
import { TitleRow } from '../browse/title-row.tsx'
import { formatRuntime, genreLabel, percent } from '../lib/format.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { openShare } from '../share/share-store.ts'
import { PlayIcon, ShareIcon } from '../ui/icons.tsx'
import { LoadError, Loading } from '../ui/states.tsx'

export function TitlePage({ titleId }: { titleId: string }) {
  const load = useCallback((signal: AbortSignal) => api.title(titleId, signal), [titleId])
  const resource = useResource(load)
  usePageTitle(resource.data?.title.name ?? 'Title')

  if (resource.status === 'loading') return <Loading />
  if (resource.status === 'error' || !resource.data)
    return <LoadError error={resource.error} retry={resource.reload} />
  const { title, becauseYouWatched, friendsMightLike } = resource.data
  const watch = title.watch
  const resume = watch && !watch.finished && watch.positionSeconds > 0

  return (
    <article className="title-page" data-testid="title-page" data-title-id={title.id}>
      <div
        className="title-backdrop"
        aria-hidden="true"
        style={{ backgroundImage: `url("${title.posterUrl}")` }}
      />
      <div className="title-main">
        <img className="title-poster" src={title.posterUrl} alt={`Poster of ${title.name}`} />
        <div className="title-info">
          <h1 tabIndex={-1} data-testid="title-name">
            {title.name}
          </h1>
          <p className="title-facts">
            <span data-testid="title-year">{title.year}</span>
            <span aria-hidden="true"> · </span>
            <span data-testid="title-runtime">{formatRuntime(title.runtimeMinutes)}</span>
            {title.kind === 'series' && title.seasons ? (
              <span>
                {' '}
                · Series, {title.seasons} {title.seasons === 1 ? 'season' : 'seasons'}
              </span>
            ) : null}
          </p>
          <ul className="genre-tags" aria-label="Genres">
            {title.genres.map((genre, i) => (
              <li key={genre}>
                <Link to={paths.genre(genre)} className="tag">
                  {title.genreNames?.[i] ?? genreLabel(genre)}
                </Link>
              </li>
            ))}
          </ul>
          <p className="synopsis" data-testid="title-synopsis">
            {title.synopsis}
          </p>
          {resume && (
            <div className="resume">
              <span className="progress-bar" aria-hidden="true">
                <span style={{ width: `${percent(watch.positionSeconds, watch.runtimeSeconds)}%` }} />
              </span>
              <span className="muted small">
                {percent(watch.positionSeconds, watch.runtimeSeconds)}% watched
              </span>
            </div>
          )}
          <div className="actions">
            <Link
              className="button button-primary button-large"
              to={paths.watch(title.id)}
              data-testid="play-button"
            >
              <PlayIcon width={20} height={20} /> {resume ? 'Resume' : 'Play'}
            </Link>
            <button
              type="button"
              className="button button-large"
              data-testid="share-button"
              onClick={() => openShare(title, 'title_page')}
            >
              <ShareIcon width={20} height={20} /> Share
            </button>
          </div>
        </div>
      </div>
      <TitleRow
        name={`Because you watched ${title.name}`}
        titles={becauseYouWatched}
        shareSurface="title_page"
        kind="because_you_watched"
      />
      {friendsMightLike.length > 0 ? (
        <TitleRow
          name="Friends might like"
          titles={friendsMightLike}
          shareSurface="title_page"
          kind="friends"
        />
      ) : (
        <section className="row" aria-labelledby="friends-empty">
          <h2 id="friends-empty">Friends might like</h2>
          <p className="muted small">
            Picks from friends' viewing appear here when friends on Marquee let their friends see what they
            watched.
          </p>
        </section>
      )}
    </article>
  )
}
