import { type KeyboardEvent, useCallback, useEffect, useRef, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { useResource } from '../../../lib/web/use-resource.ts'
import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import type { Title, Watch } from '../api/types.ts'
import { formatClock } from '../lib/format.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { BackIcon, ForwardIcon, PauseIcon, PlayIcon, SkipEndIcon } from '../ui/icons.tsx'
import { LoadError, Loading } from '../ui/states.tsx'
import { PostPlay } from './post-play.tsx'

/** Simulated playback: one real second plays this many seconds of the title. */
export const PLAYBACK_SPEED = 60
const TICK_MS = 250
const SAVE_EVERY_MS = 5_000
const JUMP_SECONDS = 5 * 60

interface Loaded {
  title: Title
  becauseYouWatched: Title[]
  watch: Watch
}

export function PlayerPage({ titleId }: { titleId: string }) {
  const load = useCallback(
    async (signal: AbortSignal): Promise<Loaded> => {
      const [detail, { watch }] = await Promise.all([api.title(titleId, signal), api.play(titleId)])
      return { title: detail.title, becauseYouWatched: detail.becauseYouWatched, watch }
    },
    [titleId],
  )
  const resource = useResource(load)
  usePageTitle(resource.data ? `Watching ${resource.data.title.name}` : 'Player')
  if (resource.status === 'loading') return <Loading label="Starting…" />
  if (resource.status === 'error' || !resource.data)
    return <LoadError error={resource.error} retry={resource.reload} />
  return <Player key={titleId} {...resource.data} />
}

const CHAPTERS = 8

/** What the simulated screen shows: the chapter playing, or the credits in the last 5 %. */
function sceneLabel(position: number, runtime: number): string {
  if (position >= runtime * 0.95) return 'End credits'
  return `Chapter ${Math.min(CHAPTERS, Math.floor((position / runtime) * CHAPTERS) + 1)} of ${CHAPTERS}`
}

function startingPosition(watch: Watch): number {
  // A finished title starts again from the beginning; an unfinished one resumes.
  return watch.finished || watch.positionSeconds >= watch.runtimeSeconds ? 0 : watch.positionSeconds
}

function Player({ title, becauseYouWatched, watch }: Loaded) {
  const runtime = Math.max(1, watch.runtimeSeconds || title.runtimeMinutes * 60)
  const [position, setPosition] = useState(() => startingPosition(watch))
  const [playing, setPlaying] = useState(true)
  const [ended, setEnded] = useState(false)
  const [saveError, setSaveError] = useState<string | null>(null)
  const positionRef = useRef(position)
  const savedRef = useRef(watch.positionSeconds)
  const playPause = useRef<HTMLButtonElement>(null)

  const save = useCallback(
    async (at: number) => {
      const rounded = Math.round(at)
      if (rounded === Math.round(savedRef.current)) return
      savedRef.current = rounded
      try {
        await api.progress(title.id, rounded)
        setSaveError(null)
      } catch (failure) {
        setSaveError(`Progress not saved: ${describeError(failure)}`)
      }
    },
    [title.id],
  )

  const moveTo = useCallback(
    (next: number) => {
      const clamped = Math.max(0, Math.min(runtime, next))
      positionRef.current = clamped
      setPosition(clamped)
      return clamped
    },
    [runtime],
  )

  useEffect(() => {
    playPause.current?.focus()
  }, [])

  // The clock: advance while playing; reaching the end saves and shows post-play.
  useEffect(() => {
    if (!playing || ended) return
    const timer = setInterval(() => {
      const next = moveTo(positionRef.current + (PLAYBACK_SPEED * TICK_MS) / 1000)
      if (next >= runtime) {
        setPlaying(false)
        setEnded(true)
        void save(runtime)
      }
    }, TICK_MS)
    return () => clearInterval(timer)
  }, [playing, ended, runtime, moveTo, save])

  // Progress is saved every few seconds while playing, and when leaving the player.
  useEffect(() => {
    if (!playing) return
    const timer = setInterval(() => void save(positionRef.current), SAVE_EVERY_MS)
    return () => clearInterval(timer)
  }, [playing, save])
  useEffect(() => () => void save(positionRef.current), [save])

  const togglePlay = () => {
    if (playing) void save(positionRef.current)
    setPlaying((p) => !p)
  }
  const seekSave = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => () => clearTimeout(seekSave.current), [])
  /** Moves the playhead; dragging the slider saves once it settles, the buttons save at once. */
  const seek = (to: number, { settle = false } = {}) => {
    const at = moveTo(to)
    clearTimeout(seekSave.current)
    if (settle && at < runtime) seekSave.current = setTimeout(() => void save(positionRef.current), 400)
    else void save(at)
    if (at >= runtime) {
      setPlaying(false)
      setEnded(true)
    }
  }
  const skipToEnd = () => seek(runtime)
  const watchAgain = () => {
    moveTo(0)
    void save(0)
    setEnded(false)
    setPlaying(true)
    requestAnimationFrame(() => playPause.current?.focus())
  }

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = event.target as HTMLElement
    if (target.tagName === 'INPUT') return
    if (event.key === ' ' || event.key === 'k') {
      if (target.tagName === 'BUTTON' || target.tagName === 'A') return
      event.preventDefault()
      togglePlay()
    } else if (event.key === 'j') seek(positionRef.current - JUMP_SECONDS)
    else if (event.key === 'l') seek(positionRef.current + JUMP_SECONDS)
  }

  if (ended) return <PostPlay title={title} more={becauseYouWatched} onWatchAgain={watchAgain} />

  const pct = (position / runtime) * 100
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: keyboard shortcuts for the player as a whole; every control is also a button
    <div
      className="player"
      data-testid="player"
      data-state={playing ? 'playing' : 'paused'}
      onKeyDown={onKeyDown}
    >
      <div className="player-screen" aria-hidden="true">
        <img src={title.posterUrl} alt="" className={playing ? 'player-frame is-playing' : 'player-frame'} />
        <div className="player-overlay">
          <span className="player-now">{title.name}</span>
          <span className="player-scene">{sceneLabel(position, runtime)}</span>
        </div>
      </div>
      <h1 className="player-title" tabIndex={-1}>
        {title.name}
      </h1>
      <p className="muted small">
        Simulated playback at {PLAYBACK_SPEED}× speed. Shortcuts: Space play or pause, J back, L forward.
      </p>
      <div
        className="player-progress"
        data-testid="player-progress"
        data-position={Math.round(position)}
        data-runtime={runtime}
      >
        <label htmlFor="player-seek" className="sr-only">
          Seek
        </label>
        <input
          id="player-seek"
          type="range"
          min={0}
          max={runtime}
          step={10}
          value={Math.round(position)}
          aria-valuetext={`${formatClock(position)} of ${formatClock(runtime)}`}
          onChange={(e) => seek(Number(e.target.value), { settle: true })}
          style={{ '--pct': `${pct}%` } as React.CSSProperties}
          data-testid="player-seek"
        />
        <div className="player-times">
          <span data-testid="player-position">{formatClock(position)}</span>
          <span className="muted">−{formatClock(runtime - position)}</span>
        </div>
      </div>
      <fieldset className="player-controls">
        <legend className="sr-only">Player controls</legend>
        <button
          type="button"
          className="icon-button big"
          onClick={() => seek(positionRef.current - JUMP_SECONDS)}
          aria-label="Back 5 minutes"
          data-testid="player-back"
        >
          <BackIcon width={26} height={26} />
        </button>
        <button
          ref={playPause}
          type="button"
          className="icon-button huge"
          onClick={togglePlay}
          aria-label={playing ? 'Pause' : 'Play'}
          data-testid="player-play-pause"
        >
          {playing ? <PauseIcon width={32} height={32} /> : <PlayIcon width={32} height={32} />}
        </button>
        <button
          type="button"
          className="icon-button big"
          onClick={() => seek(positionRef.current + JUMP_SECONDS)}
          aria-label="Forward 5 minutes"
          data-testid="player-forward"
        >
          <ForwardIcon width={26} height={26} />
        </button>
        <button type="button" className="button" onClick={skipToEnd} data-testid="player-skip-end">
          <SkipEndIcon width={18} height={18} /> Skip to end
        </button>
        <Link to={paths.title(title.id)} className="button button-ghost" data-testid="player-exit">
          Exit player
        </Link>
      </fieldset>
      {saveError && <Notice tone="error">{saveError}</Notice>}
    </div>
  )
}
