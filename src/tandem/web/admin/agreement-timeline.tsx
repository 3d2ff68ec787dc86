import type { Agreement } from '../api/types.ts'
import { lastUtcDay } from '../lib/format.ts'
import { API_LABELS, PRIVILEGED_APIS } from './partner-status.tsx'

const DAY_MS = 86_400_000
const LEGEND = [
  ['timeline-active', 'active'],
  ['timeline-future', 'starts later'],
  ['timeline-superseded', 'superseded'],
  ['timeline-ended', 'ended or lapsed'],
  ['legend-now', 'today'],
] as const

const monthFormat = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric' })

/** Where an agreement stops counting: its end if it was ended early, else its valid-until date. */
const stopOf = (a: Agreement) =>
  Math.min(new Date(a.validUntil).getTime(), a.endedAt ? new Date(a.endedAt).getTime() : Infinity)

function monthTicks(from: number, to: number): number[] {
  const ticks: number[] = []
  const start = new Date(from)
  const cursor = new Date(start.getFullYear(), start.getMonth() + 1, 1)
  const months = Math.max(1, Math.round((to - from) / (30 * DAY_MS)))
  const step = Math.max(1, Math.ceil(months / 6))
  while (cursor.getTime() < to) {
    ticks.push(cursor.getTime())
    cursor.setMonth(cursor.getMonth() + step)
  }
  return ticks
}

/**
 * Each API's agreements as bars on one time axis, with today marked: coverage, gaps and
 * early ends show at a glance. The table beside it carries the same facts for screen readers.
 */
export function AgreementTimeline({
  agreements,
  now = Date.now(),
}: {
  agreements: Agreement[]
  now?: number
}) {
  if (agreements.length === 0) return null
  const from = Math.min(now - 14 * DAY_MS, ...agreements.map((a) => new Date(a.validFrom).getTime()))
  const to = Math.max(now + 14 * DAY_MS, ...agreements.map((a) => new Date(a.validUntil).getTime()))
  const x = (t: number) => ((t - from) / (to - from)) * 100
  const apis = PRIVILEGED_APIS.filter((api) => agreements.some((a) => a.api === api))
  const summary = apis
    .map((api) => {
      const active = agreements.find((a) => a.api === api && a.status === 'active')
      return `${API_LABELS[api]}: ${active ? `active through ${lastUtcDay(active.validUntil)}` : 'not active'}`
    })
    .join('; ')
  return (
    <figure
      className="timeline"
      role="img"
      aria-label={`Agreement timeline. ${summary}.`}
      data-testid="agreement-timeline"
    >
      {apis.map((api) => (
        <div className="timeline-row" key={api}>
          <span className="timeline-label">{API_LABELS[api]}</span>
          <svg className="timeline-track" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
            <rect x="0" y="4.5" width="100" height="1" className="timeline-rail" />
            {agreements
              .filter((a) => a.api === api)
              .map((a) => {
                const start = x(new Date(a.validFrom).getTime())
                const planned = x(new Date(a.validUntil).getTime())
                const stop = x(stopOf(a))
                return (
                  <g key={a.id}>
                    {a.endedAt && planned > stop && (
                      <rect x={stop} y="2" width={planned - stop} height="6" className="timeline-cut" />
                    )}
                    <rect
                      x={start}
                      y="1"
                      width={Math.max(0.6, stop - start)}
                      height="8"
                      rx="0.8"
                      className={`timeline-bar timeline-${a.endReason === 'superseded' ? 'superseded' : a.status}`}
                    />
                  </g>
                )
              })}
            <line
              x1={x(now)}
              x2={x(now)}
              y1="0"
              y2="10"
              className="timeline-now"
              vectorEffect="non-scaling-stroke"
            />
          </svg>
        </div>
      ))}
      <div className="timeline-axis" aria-hidden="true">
        {monthTicks(from, to).map((t) => (
          <span key={t} style={{ left: `${x(t)}%` }}>
            {monthFormat.format(new Date(t))}
          </span>
        ))}
      </div>
      <figcaption className="chart-legend" aria-hidden="true">
        {LEGEND.map(([swatch, label]) => (
          <span key={label}>
            <span className={`legend-swatch ${swatch}`} /> {label}
          </span>
        ))}
      </figcaption>
    </figure>
  )
}
