import { useEffect, useRef } from 'react'
import type { Title } from '../api/types.ts'
import { TitleRow } from '../browse/title-row.tsx'
import { Link, paths } from '../lib/router.tsx'
import { openShare } from '../share/share-store.ts'
import { PlayIcon, ShareIcon } from '../ui/icons.tsx'

interface PostPlayProps {
  title: Title
  more: Title[]
  onWatchAgain: () => void
}

/** After the credits: share it with friends, or pick what to watch next. */
export function PostPlay({ title, more, onWatchAgain }: PostPlayProps) {
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    heading.current?.focus()
  }, [])
  return (
    <section className="post-play" data-testid="post-play" aria-labelledby="post-play-heading">
      <div className="post-play-main">
        <img className="post-play-poster" src={title.posterUrl} alt="" />
        <div className="post-play-text">
          <p className="eyebrow">You finished</p>
          <h1 id="post-play-heading" ref={heading} tabIndex={-1} data-testid="post-play-title">
            {title.name}
          </h1>
          <p className="muted">Liked it? Tell a friend.</p>
          <div className="actions">
            <button
              type="button"
              className="button button-primary button-large"
              data-testid="post-play-share"
              onClick={() => openShare(title, 'post_play')}
            >
              <ShareIcon width={20} height={20} /> Share with friends
            </button>
            <button
              type="button"
              className="button button-large"
              onClick={onWatchAgain}
              data-testid="post-play-again"
            >
              <PlayIcon width={18} height={18} /> Watch again
            </button>
            <Link className="button button-ghost button-large" to={paths.title(title.id)}>
              Back to {title.name}
            </Link>
          </div>
        </div>
      </div>
      {more.length > 0 && (
        <div data-testid="post-play-more">
          <TitleRow name="More like this" titles={more} shareSurface="post_play" kind="because_you_watched" />
        </div>
      )}
    </section>
  )
}
