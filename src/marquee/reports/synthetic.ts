import { INTERFACES, RECIPIENT_TYPES, SURFACES } from '../../lib/measurement-dimensions.ts'
import {
  type CellKey,
  DEFAULT_CLIP,
  MEASURES,
  periodDays,
  type RollupCell,
  type RollupSource,
  type SenderDayCell,
} from './builder.ts'
import { type RandomSource, seededRandom } from './noise.ts'

/**
 * A synthetic event set with known truth, for tests and simulations: one row per sender, day and cell
 * (what Marquee's sender_daily_sends holds), and an in-memory RollupSource over it.
 */
export interface SyntheticOptions {
  periodStart: string
  variants: readonly string[]
  seed?: number
  /** Mean sends per cell and day at full weight. */
  volume?: number
  /** Senders who send more than C in a day (they are clipped). */
  heavySenders?: number
  /** Senders who appear in two variants (for the experiment statistics). */
  crossoverSenders?: number
}

const INTERFACE_WEIGHT: Record<string, number> = { web: 1, mobile: 0.7, tv: 0.35 }
const SURFACE_WEIGHT: Record<string, number> = {
  title_page: 1,
  post_play: 0.6,
  browse_row: 0.5,
  search: 0.3,
  watch_party_end: 0.2,
}

/** A cell that never happens: sharing to an external channel at the end of a TV watch party. */
const isEmptyCell = (c: Pick<CellKey, 'interface' | 'surface' | 'recipientType'>) =>
  c.interface === 'tv' && c.surface === 'watch_party_end' && c.recipientType === 'external'

const between = (rng: RandomSource, lo: number, hi: number) => lo + rng.int(hi - lo + 1)

export function syntheticSenderDays(options: SyntheticOptions): SenderDayCell[] {
  const rng = seededRandom(options.seed ?? 1)
  const volume = options.volume ?? 400
  const rows: SenderDayCell[] = []
  let sender = 0
  for (const day of periodDays(options.periodStart))
    for (const iface of INTERFACES)
      for (const surface of SURFACES)
        for (const variant of options.variants)
          for (const recipientType of RECIPIENT_TYPES) {
            const cell = { day, interface: iface, surface, variant, recipientType }
            if (isEmptyCell(cell)) continue
            const weight =
              INTERFACE_WEIGHT[iface]! * SURFACE_WEIGHT[surface]! * (recipientType === 'tandem' ? 1 : 0.5)
            // At least 100 sends and a CTR of 20–40%: no count in 1..9, so the no-noise mode hides nothing.
            const target = Math.max(100, Math.round(volume * weight * (0.8 + rng.int(41) / 100)))
            const ctr = (variant === options.variants[0] ? 20 : 30) + rng.int(11)
            let sent = 0
            while (sent < target) {
              const sends = Math.min(target - sent, between(rng, 1, 8))
              let unique = 0
              for (let i = 0; i < sends; i++) if (rng.int(100) < ctr) unique += 1
              const clicks = unique + (unique > 0 && rng.int(4) === 0 ? 1 : 0)
              sender += 1
              rows.push({ ...cell, senderId: `s${sender}`, sends, clicks, uniqueClicks: unique })
              sent += sends
            }
          }
  const firstDay = periodDays(options.periodStart)[0]!
  for (let h = 0; h < (options.heavySenders ?? 0); h++) {
    const base = {
      day: firstDay,
      surface: 'title_page',
      variant: options.variants[0]!,
      senderId: `heavy${h}`,
    }
    rows.push({ ...base, interface: 'web', recipientType: 'tandem', sends: 45, clicks: 9, uniqueClicks: 9 })
    rows.push({
      ...base,
      interface: 'mobile',
      recipientType: 'external',
      sends: 15,
      clicks: 3,
      uniqueClicks: 3,
    })
  }
  for (let x = 0; x < (options.crossoverSenders ?? 0); x++) {
    const [a, b] = options.variants
    const base = { interface: 'web', surface: 'search', recipientType: 'tandem', senderId: `cross${x}` }
    rows.push({ ...base, day: firstDay, variant: a!, sends: 4, clicks: 1, uniqueClicks: 1 })
    rows.push({
      ...base,
      day: periodDays(options.periodStart)[1]!,
      variant: b!,
      sends: 4,
      clicks: 2,
      uniqueClicks: 2,
    })
  }
  return rows
}

const cellKey = (c: CellKey) => `${c.day}|${c.interface}|${c.surface}|${c.variant}|${c.recipientType}`

/** The rollup rows the sender-days add up to: the unclipped truth. */
export function rollUp(rows: readonly SenderDayCell[]): RollupCell[] {
  const cells = new Map<string, RollupCell>()
  for (const r of rows) {
    const k = cellKey(r)
    let cell = cells.get(k)
    if (!cell) {
      cell = {
        day: r.day,
        interface: r.interface,
        surface: r.surface,
        variant: r.variant,
        recipientType: r.recipientType,
        sends: 0,
        clicks: 0,
        uniqueClicks: 0,
      }
      cells.set(k, cell)
    }
    for (const m of MEASURES) cell[m] += r[m]
  }
  return [...cells.values()]
}

/** An in-memory RollupSource over sender-day rows (or over rollups alone, with no one over the cap). */
export function memorySource(
  rows: readonly SenderDayCell[],
  rollups: readonly RollupCell[] = rollUp(rows),
): RollupSource {
  const totals = new Map<string, { sends: number; clicks: number }>()
  for (const r of rows) {
    const k = `${r.senderId}|${r.day}`
    const t = totals.get(k) ?? { sends: 0, clicks: 0 }
    t.sends += r.sends
    t.clicks += r.clicks
    totals.set(k, t)
  }
  return {
    async cells(from, to) {
      return rollups.filter((c) => c.day >= from && c.day <= to)
    },
    async sendersOverCap(from, to, cap = DEFAULT_CLIP) {
      return rows.filter((r) => {
        const t = totals.get(`${r.senderId}|${r.day}`)!
        return r.day >= from && r.day <= to && (t.sends > cap || t.clicks > cap)
      })
    },
  }
}

/**
 * Rollups at a volume where most counts are well above the noise's half-width (thousands of sends a
 * cell and day), generated directly: the interval-coverage check needs no sender rows.
 */
export function syntheticRollups(options: SyntheticOptions): RollupCell[] {
  const rng = seededRandom(options.seed ?? 1)
  const volume = options.volume ?? 40_000
  const cells: RollupCell[] = []
  for (const day of periodDays(options.periodStart))
    for (const iface of INTERFACES)
      for (const surface of SURFACES)
        for (const variant of options.variants)
          for (const recipientType of RECIPIENT_TYPES) {
            const cell = { day, interface: iface, surface, variant, recipientType }
            if (isEmptyCell(cell)) continue
            const weight =
              INTERFACE_WEIGHT[iface]! * SURFACE_WEIGHT[surface]! * (recipientType === 'tandem' ? 1 : 0.5)
            const sends = Math.round(volume * weight * (0.8 + rng.int(41) / 100))
            const uniqueClicks = Math.round((sends * (20 + rng.int(21))) / 100)
            const clicks = uniqueClicks + Math.round((uniqueClicks * rng.int(26)) / 100)
            cells.push({ ...cell, sends, clicks, uniqueClicks })
          }
  return cells
}
