import type { Surface, Title } from '../api/types.ts'
import { formatRuntime } from '../lib/format.ts'
import { Link, paths } from '../lib/router.tsx'
import { openShare } from '../share/share-store.ts'
import { ShareIcon } from '../ui/icons.tsx'

interface TitleCardProps {
  title: Title
  /** Where a share from this card begins; no share button without it. */
  shareSurface?: Surface | undefined
  /** 0–100: how much of it the viewer watched (continue-watching rows). */
  progress?: number | undefined
  /** Roving focus inside a row: only the active card is in the tab order. */
  tabIndex?: number
  testId?: string
}

/** A poster with its name; the share button sits on the poster's corner. */
export function TitleCard({
  title,
  shareSurface,
  progress,
  tabIndex,
  testId = 'title-card',
}: TitleCardProps) {
  return (
    <div className="tile" data-testid={testId} data-title-id={title.id}>
      <Link
        to={paths.title(title.id)}
        className="tile-link"
        tabIndex={tabIndex}
        data-nav="tile"
        aria-label={`${title.name}, ${title.year}`}
      >
        <span className="tile-poster">
          <img src={title.posterUrl} alt="" loading="lazy" decoding="async" />
          {progress !== undefined && (
            <span className="tile-progress" aria-hidden="true">
              <span style={{ width: `${progress}%` }} />
            </span>
          )}
        </span>
        <span className="tile-name">{title.name}</span>
        <span className="tile-meta">
          {title.year} · {formatRuntime(title.runtimeMinutes)}
        </span>
      </Link>
      {shareSurface && (
        <button
          type="button"
          className="tile-share"
          tabIndex={tabIndex}
          aria-label={`Share ${title.name}`}
          data-testid="title-card-share"
          onClick={() => openShare(title, shareSurface)}
        >
          <ShareIcon width={18} height={18} />
        </button>
      )}
    </div>
  )
}

/** Titles in a wrapping grid (search, genre pages). */
export function TitleGrid({
  titles,
  shareSurface,
  testId,
}: {
  titles: Title[]
  shareSurface?: Surface
  testId?: string
}) {
  return (
    <ul className="title-grid">
      {titles.map((title) => (
        <li key={title.id}>
          <TitleCard title={title} shareSurface={shareSurface} testId={testId} />
        </li>
      ))}
    </ul>
  )
}
