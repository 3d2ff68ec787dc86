import { useCallback, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { useResource } from '../../../lib/web/use-resource.ts'
import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import type { Genre, Title } from '../api/types.ts'
import { TitleGrid } from '../browse/title-card.tsx'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { LoadError, Loading, PageHeader } from '../ui/states.tsx'

export function GenresPage() {
  usePageTitle('Genres')
  const load = useCallback((signal: AbortSignal) => api.genres(signal), [])
  const genres = useResource(load)
  return (
    <div>
      <PageHeader title="Genres" />
      {genres.status === 'loading' && <Loading />}
      {genres.status === 'error' && <LoadError error={genres.error} retry={genres.reload} />}
      <ul className="genre-list">
        {genres.data?.genres.map((genre) => (
          <li key={genre.id}>
            <Link className="genre-chip" to={paths.genre(genre.id)} data-testid="genre-link">
              <span>{genre.name}</span>
              <span className="muted small">{genre.count} titles</span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  )
}

/** A genre by its id, or by its name (title pages link genres by name). */
const findGenre = (genres: Genre[], key: string) =>
  genres.find((g) => g.id === key) ?? genres.find((g) => g.name.toLowerCase() === key.toLowerCase())

interface GenreTitles {
  genre: Genre | undefined
  titles: Title[]
  nextCursor: string | null
}

export function GenrePage({ genre: key }: { genre: string }) {
  const load = useCallback(
    async (signal: AbortSignal): Promise<GenreTitles> => {
      const { genres } = await api.genres(signal)
      const genre = findGenre(genres, key)
      const page = await api.titles({ genre: genre?.id ?? key, limit: 30 }, signal)
      return { genre, titles: page.titles, nextCursor: page.nextCursor ?? null }
    },
    [key],
  )
  const resource = useResource(load)
  const name = resource.data?.genre?.name ?? key
  usePageTitle(name)
  const [more, setMore] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null })

  const loadMore = async () => {
    const data = resource.data
    if (!data?.nextCursor) return
    setMore({ busy: true, error: null })
    try {
      const page = await api.titles({ genre: data.genre?.id ?? key, cursor: data.nextCursor, limit: 30 })
      resource.mutate((d) => ({
        ...d,
        titles: [...d.titles, ...page.titles],
        nextCursor: page.nextCursor ?? null,
      }))
      setMore({ busy: false, error: null })
    } catch (failure) {
      setMore({ busy: false, error: describeError(failure) })
    }
  }

  return (
    <div>
      <PageHeader title={name}>
        <Link to={paths.genres} className="muted">
          All genres
        </Link>
      </PageHeader>
      {resource.status === 'loading' && <Loading />}
      {resource.status === 'error' && <LoadError error={resource.error} retry={resource.reload} />}
      {resource.data && resource.data.titles.length === 0 && (
        <p className="empty">No titles in this genre yet.</p>
      )}
      {resource.data && <TitleGrid titles={resource.data.titles} shareSurface="browse_row" />}
      {more.error && <Notice tone="error">{more.error}</Notice>}
      {resource.data?.nextCursor && (
        <div className="center">
          <button type="button" className="button" onClick={loadMore} disabled={more.busy}>
            {more.busy ? 'Loading…' : 'Show more'}
          </button>
        </div>
      )}
    </div>
  )
}
