import type { MarqueeContext } from '../context.ts'
import { loadTandemRegistration } from '../tandem-link/index.ts'
import { checkBudget } from './budget.ts'
import { buildReport, MEASURES, periodDays, periodStatus } from './builder.ts'
import { defaultEpsilon, deliverReport, periodStartOf } from './delivery.ts'
import { progressBar } from './progress.ts'
import { selectSpentByDay } from './reports.repository.ts'
import { rollupSource } from './rollup-source.ts'

export interface ReportCommand {
  periodEnd: string
  dryRun: boolean
  noNoise: boolean
  epsilonPerDay?: number
  status?: 'provisional' | 'final'
}

export interface ReportIo {
  out: (text: string) => void
  /** Where the progress bar goes (stderr). */
  progress: { write: (text: string) => void; isTTY?: boolean }
}

const verdictOf = (reconciliation: unknown) => {
  const r = reconciliation as { verdict?: string; flags?: unknown[] } | null
  return r?.verdict ? `${r.verdict} (${r.flags?.length ?? 0} flagged cells)` : 'none'
}

/**
 * `report --period-end YYYY-MM-DD [--dry-run] [--no-noise]`: delivers the period's report to Tandem
 * with a progress bar, or (dry run) builds it and says what a delivery would spend and send. A dry run
 * with noise shows no counts: noisy counts shown to anyone are a release, and would spend budget.
 */
export async function runReportCommand(ctx: MarqueeContext, command: ReportCommand, io: ReportIo) {
  const periodStart = periodStartOf({ end: command.periodEnd })
  const days = periodDays(periodStart)
  const period = `${periodStart} … ${command.periodEnd}`
  const bar = progressBar(io.progress)
  if (!command.dryRun) {
    try {
      const delivery = await deliverReport(ctx, {
        period: { start: periodStart },
        onStage: bar.stage,
        ...(command.status ? { status: command.status } : {}),
        ...(command.epsilonPerDay !== undefined ? { epsilonPerDay: command.epsilonPerDay } : {}),
      })
      bar.finish()
      const v = delivery.version
      io.out(
        [
          `Report for ${period} delivered to Tandem${delivery.resent ? ' (an earlier release, sent again)' : ''}.`,
          `  version        ${v.id} (${v.status})`,
          `  Tandem receipt ${v.tandemReportId}`,
          `  supersedes     ${v.supersedes ?? 'nothing (first version)'}`,
          `  ε per day      ${v.epsilonPerDay ?? '?'} (${days.length} days)`,
          `  reconciliation ${verdictOf(v.reconciliation)}`,
        ].join('\n'),
      )
      return 0
    } catch (error) {
      bar.finish()
      throw error
    }
  }

  const status = periodStatus(periodStart, ctx.clock.now())
  const registration = await loadTandemRegistration(ctx)
  const source = rollupSource(ctx.db)
  bar.stage('reading')
  const epsilonPerDay = command.epsilonPerDay ?? (await defaultEpsilon(ctx.db, periodStart, status))
  const built = await buildReport(
    {
      cells: async (from, to) => source.cells(from, to),
      sendersOverCap: async (from, to, cap) => {
        const rows = await source.sendersOverCap(from, to, cap)
        if (!command.noNoise) bar.stage('noising')
        return rows
      },
      clipped: async (from, to, cap, variants) => {
        const removed = await source.clipped(from, to, cap, variants)
        if (removed && !command.noNoise) bar.stage('noising')
        return removed
      },
    },
    {
      partner: registration?.clientId ?? '(not registered)',
      periodStart,
      now: ctx.clock.now(),
      noise: command.noNoise ? { mode: 'none' } : { mode: 'laplace', epsilonPerDay },
    },
  )
  bar.finish()
  const refusal = checkBudget(await selectSpentByDay(ctx.db, days), {
    releaseId: 'dry-run',
    days,
    epsilonPerDay,
  })
  const m = built.report.privacy
  const lines = [
    `Dry run for ${period}: nothing was spent, stored or sent.`,
    `  status         ${built.report.status}`,
    `  cells          ${built.report.rows.length} (every cell of the domain, zeros included)`,
    `  clipped share  sends ${(m.clippedShare.sends * 100).toFixed(2)}%, clicks ${(m.clippedShare.clicks * 100).toFixed(2)}%`,
  ]
  if (command.noNoise) {
    // The internal view: the clipped truth before suppression (this operator may see it, nobody else).
    const totals = MEASURES.map(
      (measure) => `${measure} ${built.unclamped.reduce((a, c) => a + c[measure], 0)}`,
    )
    lines.push(
      `  exact totals   ${totals.join(', ')} (internal: no noise, cells under ${m.suppression?.below} suppressed)`,
      `  suppressed     ${m.suppression?.cells ?? 0} counts`,
    )
  } else {
    lines.push(
      `  ε per day      ${epsilonPerDay} (total ${m.epsilonTotal}); noise scale ${m.noiseScale}, 95% half-width ±${m.halfWidth95} per cell`,
    )
  }
  lines.push(
    refusal
      ? `  budget         a delivery would be REFUSED: ${refusal.reason === 'day_limit' ? `day ${refusal.day} has ε = ${refusal.spent} spent` : `ε ${refusal.requested} is over the release limit`}`
      : `  budget         a delivery fits (ε ${epsilonPerDay} per day)`,
  )
  io.out(lines.join('\n'))
  return 0
}
