import './reports.css'
import { formatCount } from '../lib/format.ts'
import { DataTable } from '../ui/data-table.tsx'

export interface ChartSeries {
  name: string
  values: readonly number[]
  dashed?: boolean
}

export interface ChartBand {
  label: string
  low: readonly number[]
  high: readonly number[]
}

export interface LineChartProps {
  /** Unique on the page: the SVG's title and description are referenced by it. */
  id: string
  title: string
  description: string
  days: readonly string[]
  series: readonly ChartSeries[]
  band?: ChartBand | undefined
  /** Days to mark (flagged cells), on the series at `highlightSeries` (default the first). */
  highlights?: readonly boolean[] | undefined
  highlightLabel?: string
  highlightSeries?: number
  testId?: string
  /** The drawing's width in SVG units: a chart given the full page width draws wider, not larger. */
  width?: number
}

const HEIGHT = 240
const M = { left: 56, right: 16, top: 14, bottom: 30 }
const SERIES_COLORS = ['#4f46e5', '#0e9384', '#dc6803', '#c11574', '#65a30d', '#667085', '#0891b2']

/** A round upper bound for the axis: 1, 2 or 5 times a power of ten. */
function niceMax(value: number): number {
  if (value <= 0) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power
  return 10 * power
}

const shortDay = (day: string) => day.slice(5)

/**
 * A daily line chart drawn as SVG: one line per series, an optional band (the declared noise around
 * Tandem's count) and marked days. Titled and described for screen readers, with the numbers as a
 * table for anyone who prefers them.
 */
export function LineChart(props: LineChartProps) {
  const { id, title, description, days, series, band, highlights } = props
  const n = days.length
  const WIDTH = props.width ?? 640
  const top = niceMax(Math.max(0, ...series.flatMap((s) => s.values), ...(band ? band.high : [])))
  const x = (i: number) => M.left + (n <= 1 ? 0 : (i * (WIDTH - M.left - M.right)) / (n - 1))
  const y = (v: number) => HEIGHT - M.bottom - (Math.max(0, v) / top) * (HEIGHT - M.top - M.bottom)
  const line = (values: readonly number[]) =>
    values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
  const bandPath = band
    ? `${line(band.high)} ${[...band.low]
        .map((v, i) => ({ v, i }))
        .reverse()
        .map(({ v, i }) => `L${x(i).toFixed(1)},${y(v).toFixed(1)}`)
        .join(' ')} Z`
    : null
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top)
  const marked = series[props.highlightSeries ?? 0]
  const markedCount = highlights?.filter(Boolean).length ?? 0

  return (
    <figure className="chart" data-testid={props.testId ?? 'chart'}>
      <figcaption className="chart-title">{title}</figcaption>
      <svg
        className="chart-svg"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>
          {description}
          {markedCount > 0 ? ` ${markedCount} flagged day${markedCount === 1 ? '' : 's'} marked.` : ''}
        </desc>
        {ticks.map((t) => (
          <g key={t} className="chart-grid">
            <line x1={M.left} x2={WIDTH - M.right} y1={y(t)} y2={y(t)} />
            <text x={M.left - 8} y={y(t)} dy="0.32em" textAnchor="end">
              {formatCount(Math.round(t))}
            </text>
          </g>
        ))}
        {days.map((day, i) =>
          i % 2 === 0 || n <= 7 ? (
            <text key={day} className="chart-axis" x={x(i)} y={HEIGHT - 10} textAnchor="middle">
              {shortDay(day)}
            </text>
          ) : null,
        )}
        {bandPath && <path className="chart-band" d={bandPath} />}
        {series.map((s, k) => (
          <path
            key={s.name}
            className="chart-line"
            d={line(s.values)}
            stroke={SERIES_COLORS[k % SERIES_COLORS.length]}
            strokeDasharray={s.dashed ? '6 4' : undefined}
          />
        ))}
        {marked &&
          highlights?.map((flagged, i) =>
            flagged ? (
              <circle
                // biome-ignore lint/suspicious/noArrayIndexKey: one mark per day, by day index
                key={i}
                className="chart-flag"
                data-testid="chart-flag"
                cx={x(i)}
                cy={y(marked.values[i] ?? 0)}
                r={6}
              />
            ) : null,
          )}
      </svg>
      <ul className="chart-legend">
        {series.map((s, k) => (
          <li key={s.name}>
            <span
              className={`chart-swatch${s.dashed ? ' is-dashed' : ''}`}
              style={{ borderColor: SERIES_COLORS[k % SERIES_COLORS.length] }}
              aria-hidden="true"
            />
            {s.name}
          </li>
        ))}
        {band && (
          <li>
            <span className="chart-swatch is-band" aria-hidden="true" />
            {band.label}
          </li>
        )}
        {markedCount > 0 && (
          <li>
            <span className="chart-swatch is-flag" aria-hidden="true" />
            {props.highlightLabel ?? 'Flagged day'}
          </li>
        )}
      </ul>
      <details className="chart-data">
        <summary>Show the numbers</summary>
        <DataTable
          caption={title}
          columns={[
            'Day (UTC)',
            ...series.map((s) => ({ label: s.name, num: true })),
            band && { label: band.label, num: true },
            highlights && 'Flag',
          ]}
        >
          {days.map((day, i) => (
            <tr key={day} className={highlights?.[i] ? 'is-broken' : undefined}>
              <th scope="row">{day}</th>
              {series.map((s) => (
                <td key={s.name} className="num">
                  {formatCount(s.values[i] ?? 0)}
                </td>
              ))}
              {band && (
                <td className="num">
                  {formatCount(band.low[i] ?? 0)}–{formatCount(band.high[i] ?? 0)}
                </td>
              )}
              {highlights && <td>{highlights[i] ? 'Flagged' : ''}</td>}
            </tr>
          ))}
        </DataTable>
      </details>
    </figure>
  )
}
