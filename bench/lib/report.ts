import {
  type Comparison,
  ratioOf,
  type Unit,
  verdictOf,
  type Workload,
  type WorkloadResult,
} from './types.ts'

export interface Outcome {
  workload: Workload
  seconds: number
  result?: WorkloadResult
  error?: string
}

export interface RunFacts {
  date: Date
  quick: boolean
  seconds: number
  machine: [string, string][]
}

export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return 'n/a'
  switch (unit) {
    case 'ms':
      if (value >= 1000) return `${Math.round(value).toLocaleString('en-US')} ms`
      return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`
    case 'µs':
      return `${Math.round(value).toLocaleString('en-US')} µs`
    case 'bytes':
      return Math.abs(value) >= 1024 ? `${(value / 1024).toFixed(1)} KiB` : `${value.toFixed(0)} B`
    default:
      return `${Math.round(value).toLocaleString('en-US')} ${unit}`
  }
}

const formatGoal = (c: Comparison) => (c.goal ? `${c.goal.op === '>=' ? '≥' : '≤'} ${c.goal.value}` : '')
const formatRatio = (c: Comparison) => (Number.isFinite(ratioOf(c)) ? ratioOf(c).toFixed(2) : 'n/a')
const formatVerdict = (c: Comparison) => {
  const verdict = verdictOf(c)
  return verdict === 'miss' ? '**miss**' : (verdict ?? '')
}

const row = (cells: string[]) => `| ${cells.join(' | ')} |`

/** docs/BENCHMARKS.md: machine, a summary of verdicts, then a section per workload, then the method. */
export function renderReport(run: RunFacts, outcomes: Outcome[], chartDir: string): string {
  const lines: string[] = []
  const push = (...more: string[]) => lines.push(...more)
  push(
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${run.date.toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
      `a ${run.quick ? 'quick smoke run (BENCH_QUICK=1: small counts, short rounds; not for comparison)' : 'full run'} ` +
      `that took ${Math.round(run.seconds)} s. Every figure is measured in the same run as its baseline, and ` +
      'the ratio Tandem ÷ baseline is what is judged: absolute numbers depend on the machine.',
    '',
    '## Machine',
    '',
    row(['', '']),
    row(['---', '---']),
    ...run.machine.map(([k, v]) => row([k, v])),
    '',
    '## Summary',
    '',
    row(['Workload', 'Measure', 'Tandem', 'Baseline', 'Tandem ÷ baseline', 'Goal', 'Verdict']),
    row(['---', '---', '---:', '---:', '---:', '---', '---']),
  )
  outcomes.forEach(({ workload, result, error }, i) => {
    const link = `[${workload.name}](#${anchor(heading(i, workload))})`
    if (!result) {
      push(row([link, 'did not complete', '', '', '', '', `**failed**: ${oneLine(error)}`]))
      return
    }
    for (const c of result.comparisons.filter((c) => c.goal)) {
      push(
        row([
          link,
          c.metric,
          formatValue(c.tandem, c.unit),
          formatValue(c.baseline, c.baselineUnit ?? c.unit),
          formatRatio(c),
          formatGoal(c),
          formatVerdict(c),
        ]),
      )
    }
  })
  outcomes.forEach(({ workload, result, error, seconds }, i) => {
    push('', `## ${heading(i, workload)}`, '')
    if (!result) {
      push(`Did not complete after ${Math.round(seconds)} s:`, '', '```', error ?? 'unknown error', '```')
      return
    }
    push(
      result.summary,
      '',
      row(['Metric', 'Tandem', `Baseline: ${result.baseline}`, 'Tandem ÷ baseline', 'Goal', 'Verdict']),
      row(['---', '---:', '---:', '---:', '---', '---']),
      ...result.comparisons.map((c) =>
        row([
          c.against ? `${c.metric} (against ${c.against})` : c.metric,
          formatValue(c.tandem, c.unit),
          formatValue(c.baseline, c.baselineUnit ?? c.unit),
          formatRatio(c),
          formatGoal(c),
          formatVerdict(c),
        ]),
      ),
      '',
      ...result.facts.map((f) => `- ${f}`),
      `- Took ${Math.round(seconds)} s, set-up included.`,
    )
    if (result.notes?.length) push('', ...result.notes)
    for (const chart of result.charts ?? []) push('', `![${chart.title}](${chartDir}/${chart.file})`)
  })
  push('', '## Method', '', ...METHOD, '')
  return lines.join('\n')
}

const heading = (index: number, w: Workload) => `${index + 1}. ${w.name}: ${w.title}`

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-')

const oneLine = (s: string | undefined) =>
  (s ?? 'unknown error').split('\n')[0]!.replace(/\|/g, '\\|').slice(0, 200)

const METHOD = [
  '- Every server under test runs in its own child process (`node src/tandem/main.ts` with `NODE_ENV=production`, ' +
    '`LOG_LEVEL=silent`, on a fresh database created and dropped by the run), so the load generator never shares ' +
    'its event loop. Baselines are child processes too: a bare `node:http` server (bench/baselines/redirect.server.ts) ' +
    'and a bare `ws` server (bench/baselines/ws.server.ts).',
  '- The load generator is the bench process itself: autocannon for HTTP (closed loop: each connection sends its ' +
    'next request when the last one is answered), `ws` clients for WebSockets, `pg` for the INSERT floor. It shares ' +
    'the machine with the servers, so on a small machine it takes CPU from them; it does so for the baseline too.',
  '- Throughput rounds alternate baseline and Tandem so that drift of a shared, noisy machine falls on both; ' +
    'figures are medians over rounds. Latency percentiles come from autocannon (1 ms resolution) or, for the ' +
    'WebSocket path, from `performance.now()` in the bench process.',
  '- Users, friendships, threads and messages are made through the HTTP API (`/api/signup`, `/api/friends/requests`, ' +
    '`/api/threads`, `/api/threads/:id/messages`), as clients make them.',
  '- Goals are ratios, chosen before measuring; a miss is reported as a miss. Nothing here gates a build: no ' +
    'test depends on wall-clock time.',
  '- Run `npm run bench` for the full run (about six minutes on an idle two-core machine, longer on a shared one) and `BENCH_QUICK=1 npm run bench` for a smoke run ' +
    '(a little over a minute, written to a temporary folder unless `BENCH_OUT` names one). `BENCH_ONLY=link-shim,…` runs ' +
    'some workloads; `BENCH_DATABASE_URL` names the PostgreSQL admin URL (default ' +
    '`postgres://postgres@127.0.0.1:5432/postgres`); when it does not answer, the servers use embedded PGlite. ' +
    '`BENCH_CPU_PROF=<dir>` makes every Tandem server write a V8 CPU profile there, to see where a miss spends its time.',
  '- A workload is a module under bench/workloads exporting `{ name, title, run(ctx) }` and listed in bench/run.ts; ' +
    'bench/lib has the shared parts (child processes, Tandem seeding, autocannon, sockets, percentiles, charts).',
]
