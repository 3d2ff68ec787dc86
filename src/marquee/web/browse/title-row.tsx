import { type KeyboardEvent, useId, useRef, useState } from 'react'
import type { Surface, Title } from '../api/types.ts'
import { ChevronLeft, ChevronRight } from '../ui/icons.tsx'
import { TitleCard } from './title-card.tsx'

interface TitleRowProps {
  name: string
  titles: Title[]
  shareSurface?: Surface
  progressOf?: (title: Title) => number | undefined
  rowId?: string
  kind?: string
}

/**
 * A horizontally scrolling row of posters. The row is one stop in the tab order: arrow keys, Home and
 * End move between its titles (the focused title's share button follows it), as in a toolbar.
 */
export function TitleRow({ name, titles, shareSurface, progressOf, rowId, kind }: TitleRowProps) {
  const headingId = useId()
  const [active, setActive] = useState(0)
  const list = useRef<HTMLUListElement>(null)

  const focusCard = (index: number) => {
    const clamped = Math.max(0, Math.min(titles.length - 1, index))
    setActive(clamped)
    const link = list.current?.querySelectorAll<HTMLElement>('.tile-link')[clamped]
    link?.focus()
    link?.scrollIntoView({ block: 'nearest', inline: 'nearest', behavior: 'smooth' })
  }

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    if (!(event.target instanceof HTMLElement) || !event.target.classList.contains('tile-link')) return
    const moves: Record<string, number> = {
      ArrowRight: active + 1,
      ArrowLeft: active - 1,
      Home: 0,
      End: titles.length - 1,
    }
    const next = moves[event.key]
    if (next === undefined) return
    event.preventDefault()
    event.stopPropagation()
    focusCard(next)
  }

  const scrollBy = (direction: 1 | -1) => {
    const el = list.current
    if (el) el.scrollBy({ left: direction * el.clientWidth * 0.8, behavior: 'smooth' })
  }

  if (titles.length === 0) return null
  return (
    <section
      className="row"
      aria-labelledby={headingId}
      data-testid="browse-row"
      data-row-id={rowId}
      data-kind={kind}
    >
      <div className="row-head">
        <h2 id={headingId}>{name}</h2>
        <div className="row-scroll">
          <button
            type="button"
            className="icon-button"
            tabIndex={-1}
            aria-label={`Scroll ${name} left`}
            onClick={() => scrollBy(-1)}
          >
            <ChevronLeft />
          </button>
          <button
            type="button"
            className="icon-button"
            tabIndex={-1}
            aria-label={`Scroll ${name} right`}
            onClick={() => scrollBy(1)}
          >
            <ChevronRight />
          </button>
        </div>
      </div>
      <ul className="row-list" ref={list} onKeyDown={onKeyDown}>
        {titles.map((title, index) => (
          <li
            key={title.id}
            onFocus={() => {
              if (index !== active) setActive(index)
            }}
          >
            <TitleCard
              title={title}
              shareSurface={shareSurface}
              progress={progressOf?.(title)}
              tabIndex={index === Math.min(active, titles.length - 1) ? 0 : -1}
            />
          </li>
        ))}
      </ul>
    </section>
  )
}
