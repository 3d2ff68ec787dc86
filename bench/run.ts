// npm run bench: runs each workload against its baseline and writes docs/BENCHMARKS.md with charts.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os'
import { join, relative } from 'node:path'
import { renderChart } from './lib/charts.ts'
import { chooseDatabase } from './lib/database.ts'
import { Progress } from './lib/progress.ts'
import { type Outcome, renderReport } from './lib/report.ts'
import { openFileLimit } from './lib/sockets.ts'
import { withTimeout } from './lib/stats.ts'
import { type BenchContext, ratioOf, verdictOf, type Workload } from './lib/types.ts'
import { deliveryLatency } from './workloads/delivery-latency.workload.ts'
import { linkShim } from './workloads/link-shim.workload.ts'
import { marqueeIngest } from './workloads/marquee-ingest.workload.ts'
import { messageSend } from './workloads/message-send.workload.ts'
import { partnerRead } from './workloads/partner-read.workload.ts'
import { partnerSend } from './workloads/partner-send.workload.ts'
import { reportFromRollups } from './workloads/report-from-rollups.workload.ts'
import { rollupRebuild } from './workloads/rollup-rebuild.workload.ts'
import { socketMemory } from './workloads/socket-memory.workload.ts'

/** In the order they run; a later workload is one more module here. */
const WORKLOADS: Workload[] = [
  linkShim,
  messageSend,
  deliveryLatency,
  socketMemory,
  partnerSend,
  partnerRead,
  marqueeIngest,
  reportFromRollups,
  rollupRebuild,
]

const root = join(import.meta.dirname, '..')
const quick = process.env.BENCH_QUICK === '1'
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim())
// A quick run is a smoke test: it must not overwrite the committed results.
const outDir = process.env.BENCH_OUT ?? (quick ? join(tmpdir(), 'tandem-bench') : join(root, 'docs'))
const chartDir = 'bench'
const workloadLimitMs = (quick ? 3 : 8) * 60_000

/** The commit measured, and whether the server code had uncommitted changes at the time. */
function describeCommit(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim()
  try {
    const dirty = git('status', '--porcelain', '--', 'src').length > 0
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ', with uncommitted changes under src/' : ''}`
  } catch {
    return 'unknown (not a git checkout)'
  }
}

const progress = new Progress()
let cleanups: (() => unknown)[] = []

async function runCleanups(): Promise<void> {
  const pending = cleanups.reverse()
  cleanups = []
  for (const cleanup of pending) {
    await withTimeout(Promise.resolve().then(cleanup), 20_000, 'cleanup').catch((error: Error) =>
      console.error(`cleanup failed: ${error.message}`),
    )
  }
}

process.once('SIGINT', () => {
  console.error('\ninterrupted: stopping servers and dropping databases')
  void runCleanups().finally(() => process.exit(130))
})

const selected = WORKLOADS.filter((w) => !only || only.includes(w.name))
if (selected.length === 0) {
  console.error(`BENCH_ONLY matches none of: ${WORKLOADS.map((w) => w.name).join(', ')}`)
  process.exit(2)
}

const started = performance.now()
const loadAtStart = loadavg()[0]!
const commit = describeCommit()
const database = await chooseDatabase(process.env)
console.log(
  `Tandem benchmarks (${quick ? 'quick' : 'full'} run): ${selected.length} workload(s) on ${database.version}` +
    `${database.kind === 'pglite' ? ' (PostgreSQL not reachable: embedded PGlite)' : ''}, ${cpus().length} cores`,
)
const ctx: BenchContext = {
  quick,
  root,
  database,
  progress,
  cpuProfileDir: process.env.BENCH_CPU_PROF,
  defer: (cleanup) => {
    cleanups.push(cleanup)
  },
}

const outcomes: Outcome[] = []
for (const workload of selected) {
  progress.workload(workload.name, workload.title)
  const t0 = performance.now()
  try {
    const result = await withTimeout(workload.run(ctx), workloadLimitMs, workload.name)
    outcomes.push({ workload, result, seconds: (performance.now() - t0) / 1000 })
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
    progress.phase(`failed: ${message}`)
    outcomes.push({ workload, error: message, seconds: (performance.now() - t0) / 1000 })
  } finally {
    progress.phase('stopping servers')
    await runCleanups()
  }
}

const cpu = cpus()
const fileLimit = openFileLimit()
const markdown = renderReport(
  {
    date: new Date(),
    quick,
    seconds: (performance.now() - started) / 1000,
    machine: [
      ['CPU', `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown'} (shared)`],
      ['Memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
      ['OS', `${process.platform} ${release()}`],
      ['Node', process.version],
      ['Code', commit],
      [
        'Database',
        database.kind === 'postgres'
          ? `${database.version}, local, over loopback TCP; a fresh database per server`
          : `${database.version}, embedded in the server process (PostgreSQL was not reachable)`,
      ],
      ['Open-file limit', fileLimit === undefined ? 'unknown' : String(fileLimit)],
      [
        'Load average (1 min)',
        `${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end: other work shares the machine`,
      ],
    ],
  },
  outcomes,
  chartDir,
)
mkdirSync(join(outDir, chartDir), { recursive: true })
for (const chart of outcomes.flatMap((o) => o.result?.charts ?? [])) {
  writeFileSync(join(outDir, chartDir, chart.file), renderChart(chart))
}
const reportPath = join(outDir, 'BENCHMARKS.md')
writeFileSync(reportPath, markdown)

console.log(`\nWrote ${relative(process.cwd(), reportPath) || reportPath}`)
for (const { workload, result, error } of outcomes) {
  if (!result) {
    console.log(`  ${workload.name}: failed (${error?.split('\n')[0]})`)
    continue
  }
  for (const c of result.comparisons.filter((c) => c.goal)) {
    console.log(
      `  ${workload.name}: ${c.metric} ratio ${ratioOf(c).toFixed(2)} (goal ${c.goal!.op} ${c.goal!.value}) ${verdictOf(c)}`,
    )
  }
}
// Misses are results, not failures; a workload that could not run is.
process.exit(outcomes.some((o) => o.error) ? 1 : 0)
