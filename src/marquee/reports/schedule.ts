import type { FastifyInstance } from 'fastify'
import type { MarqueeContext } from '../context.ts'
import { remainingBudget } from './budget.ts'
import { addDays, PERIOD_DAYS, periodDays, periodStatus } from './builder.ts'
import { type DeliverOptions, type Delivery, deliverReport } from './delivery.ts'
import { selectReportVersions } from './reports.repository.ts'

const DAY_MS = 86_400_000
export const DEFAULT_REPORT_EPOCH = '2026-01-05'

/**
 * The first day of the latest period, in 14-day steps from `epoch`, that can be reported at `now`: its
 * last day is at least two days old (a day is provisional from T+2: MEASUREMENT.md), which is also
 * when Tandem holds the report due.
 */
export function lastCompletePeriod(now: Date, epoch: string = DEFAULT_REPORT_EPOCH): string {
  const epochMs = Date.parse(`${epoch}T00:00:00Z`)
  const readySince = now.getTime() - (PERIOD_DAYS - 1 + 2) * DAY_MS
  const steps = Math.floor((readySince - epochMs) / (PERIOD_DAYS * DAY_MS))
  return addDays(epoch, steps * PERIOD_DAYS)
}

export type ScheduledOutcome =
  | { period: string; action: 'delivered' | 'restated' | 'resent'; delivery: Delivery }
  | { period: string; action: 'skipped'; reason: string }

/**
 * One run of the schedule: the last complete period is delivered once as soon as it can be
 * (provisional, half the day's ε), and restated once more when its days are final (with the ε left);
 * what Tandem already holds is skipped. A release Tandem has not accepted yet is sent again first.
 */
export async function runScheduledReport(
  ctx: MarqueeContext,
  options: { epoch?: string; client?: DeliverOptions['client'] } = {},
): Promise<ScheduledOutcome> {
  const period = lastCompletePeriod(ctx.clock.now(), options.epoch ?? ctx.config.reports?.epoch)
  const versions = await selectReportVersions(ctx.db, period)
  const status = periodStatus(period, ctx.clock.now())
  const delivered = versions.filter((v) => v.tandemReportId)
  const pending = versions.some((v) => !v.tandemReportId)
  const latest = delivered.at(-1)
  const extra = options.client ? { client: options.client } : {}
  if (!pending && latest) {
    if (latest.status === 'final' || status !== 'final') {
      return { period, action: 'skipped', reason: `a ${latest.status} version was delivered` }
    }
    const left = Math.min(...(await remainingBudget(ctx.db, periodDays(period))).values())
    if (left <= 1e-9)
      return { period, action: 'skipped', reason: 'no privacy budget left for a final version' }
  }
  const delivery = await deliverReport(ctx, { period: { start: period }, ...extra })
  const action = delivery.resent ? 'resent' : latest ? 'restated' : 'delivered'
  return { period, action, delivery }
}

/**
 * Starts the schedule when the server is ready, only when configured (MARQUEE_REPORT_SCHEDULE=1):
 * one run at once, then one every `checkEveryMs`; runs never overlap; failures are logged and tried
 * again on the next run.
 */
export function registerReportSchedule(app: FastifyInstance, ctx: MarqueeContext): void {
  const settings = ctx.config.reports
  if (!settings?.schedule) return
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  const tick = () => {
    if (running) return
    running = runScheduledReport(ctx)
      .then((outcome) => {
        if (outcome.action !== 'skipped')
          ctx.log?.info({ period: outcome.period, action: outcome.action }, 'partner report delivered')
      })
      .catch((error) => ctx.log?.warn({ err: error }, 'scheduled partner report failed'))
      .finally(() => {
        running = undefined
      })
  }
  app.addHook('onReady', async () => {
    tick()
    timer = setInterval(tick, settings.checkEveryMs)
    timer.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await running
  })
}

export const periodEnd = (start: string) => addDays(start, PERIOD_DAYS - 1)
