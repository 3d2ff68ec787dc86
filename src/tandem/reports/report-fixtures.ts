import { CompactSign } from 'jose'
import { INTERFACES, RECIPIENT_TYPES, SURFACES } from '../../lib/measurement-dimensions.ts'
import type { Db } from '../db.ts'
import { discreteLaplace, seededUniform } from './simulated-partner.ts'

/**
 * Test fixtures for report views: Tandem's own counts for a partner over a period, and the signed
 * report an honest (or under-reporting) partner would deliver for it, with every cell of the domain.
 */

const DAY_MS = 86_400_000
export const FIXTURE_VARIANTS = ['classic', 'quick'] as const
const NOISE_SCALE = 60

interface Cell {
  day: string
  interface: string
  surface: string
  variant: string
  recipientType: string
}

/** The 14 UTC days ending yesterday. */
export function lastPeriod(now: Date): { start: string; end: string } {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS
  const day = (back: number) => new Date(today - back * DAY_MS).toISOString().slice(0, 10)
  return { start: day(14), end: day(1) }
}

function periodDays(period: { start: string }): string[] {
  const start = Date.parse(`${period.start}T00:00:00Z`)
  return Array.from({ length: 14 }, (_, i) => new Date(start + i * DAY_MS).toISOString().slice(0, 10))
}

function domain(period: { start: string }): Cell[] {
  const cells: Cell[] = []
  for (const day of periodDays(period))
    for (const iface of INTERFACES)
      for (const surface of SURFACES)
        for (const variant of FIXTURE_VARIANTS)
          for (const recipientType of RECIPIENT_TYPES)
            cells.push({ day, interface: iface, surface, variant, recipientType })
  return cells
}

/** Tandem's sends in a cell: large on the web, small on TV, none on mobile search. */
export function tandemSends(cell: Omit<Cell, 'recipientType'>): number {
  if (cell.interface === 'mobile' && cell.surface === 'search') return 0
  const base = cell.interface === 'web' ? 2500 : cell.interface === 'mobile' ? 500 : 30
  return base + (cell.day.charCodeAt(9) % 7) * 10 + cell.variant.length
}

/** Writes Tandem's own daily counts (what the Inbox API and the shim would have counted). */
export async function seedTandemCounts(db: Db, clientId: string, period: { start: string }) {
  const rows = domain(period).filter((c) => c.recipientType === 'tandem' && tandemSends(c) > 0)
  await db
    .insertInto('partner_daily_counts')
    .values(
      rows.map((c) => {
        const sends = tandemSends(c)
        return {
          client_id: clientId,
          day: c.day,
          interface: c.interface,
          surface: c.surface,
          variant: c.variant,
          sends,
          clicks: Math.round(sends * 0.35),
          unique_clicks: Math.round(sends * 0.3),
        }
      }),
    )
    .execute()
}

export interface FixtureReportOptions {
  clientId: string
  period: { start: string; end: string }
  now: Date
  seed?: number
  status?: 'provisional' | 'final'
  supersedes?: string
  /** The share of Tandem's sends the partner reports in a cell (1 for an honest partner). */
  sendsShare?: (cell: { interface: string; surface: string; variant: string }) => number
}

/** A tandem.partner-report/1 payload: Tandem's counts (scaled) plus discrete Laplace noise, clamped. */
export function fixtureReport(options: FixtureReportOptions) {
  const u = seededUniform(options.seed ?? 1)
  const noisy = (v: number) => Math.max(0, v + discreteLaplace(u, NOISE_SCALE))
  const share = options.sendsShare ?? (() => 1)
  return {
    schema: 'tandem.partner-report/1',
    partner: options.clientId,
    period: options.period,
    generatedAt: options.now.toISOString(),
    status: options.status ?? 'final',
    ...(options.supersedes ? { supersedes: options.supersedes } : {}),
    dimensions: {
      interface: [...INTERFACES],
      surface: [...SURFACES],
      variant: [...FIXTURE_VARIANTS],
      recipientType: [...RECIPIENT_TYPES],
    },
    rows: domain(options.period).map((cell) => {
      const x = cell.recipientType === 'tandem' ? tandemSends(cell) : 200
      return {
        ...cell,
        sends: noisy(Math.round(x * share(cell))),
        clicks: noisy(Math.round(x * 0.3)),
        uniqueClicks: noisy(Math.round(x * 0.27)),
      }
    }),
    privacy: {
      mechanism: 'discrete_laplace',
      unit: 'sender_day',
      epsilonPerDay: 1,
      epsilonTotal: 14,
      contributionBound: { sendsPerSenderPerDay: 20, clicksPerSenderPerDay: 20 },
      sensitivity: NOISE_SCALE,
      noiseScale: NOISE_SCALE,
      halfWidth95: 180,
      clippedShare: { sends: 0, clicks: 0 },
    },
  }
}

/** Signs a report payload as a compact JWS with the partner's registered key. */
export const signFixtureReport = (payload: unknown, partner: { privateKey: CryptoKey; kid: string }) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', kid: partner.kid })
    .sign(partner.privateKey)
