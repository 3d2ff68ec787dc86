import type { Chart } from './charts.ts'
import type { Progress } from './progress.ts'

export type DatabaseTarget =
  | { kind: 'postgres'; adminUrl: string; version: string }
  | { kind: 'pglite'; version: string }

export interface BenchContext {
  /** BENCH_QUICK=1: a short smoke run with smaller counts and durations. */
  quick: boolean
  /** The repository root. */
  root: string
  database: DatabaseTarget
  progress: Progress
  /** BENCH_CPU_PROF: each Tandem server writes a V8 CPU profile here when it stops (open it in DevTools). */
  cpuProfileDir: string | undefined
  /** Registers cleanup that runs when the workload ends, failed or not; the last registered runs first. */
  defer(cleanup: () => unknown): void
}

export type Unit = 'req/s' | 'msg/s' | 'rows/s' | 'ms' | 'µs' | 'bytes' | 'per CPU-s'

/** A goal on the ratio Tandem ÷ baseline. */
export interface Goal {
  op: '>=' | '<='
  value: number
}

export interface Comparison {
  metric: string
  unit: Unit
  tandem: number
  baseline: number
  /** When the baseline counts something else (rows rather than messages). */
  baselineUnit?: Unit
  /** When this row compares with another baseline than the workload's. */
  against?: string
  /** Overrides tandem ÷ baseline: the median of per-round ratios, which drift of a shared machine moves less. */
  ratio?: number
  /** Absent for figures shown for context only. */
  goal?: Goal
}

export interface WorkloadResult {
  /** What was measured, in a sentence or two. */
  summary: string
  /** What the baseline is, as a column heading. */
  baseline: string
  comparisons: Comparison[]
  /** Counts and checks behind the numbers: requests made, errors, frames lost. */
  facts: string[]
  /** Where the time or memory goes, when the numbers call for it. */
  notes?: string[]
  charts?: Chart[]
}

/** A benchmark: one module under bench/workloads exporting it, listed in bench/run.ts. */
export interface Workload {
  name: string
  title: string
  run(ctx: BenchContext): Promise<WorkloadResult>
}

export function ratioOf(c: Comparison): number {
  if (c.ratio !== undefined) return c.ratio
  return c.baseline === 0 ? Number.NaN : c.tandem / c.baseline
}

export function verdictOf(c: Comparison): 'pass' | 'miss' | undefined {
  if (!c.goal) return undefined
  const ratio = ratioOf(c)
  if (Number.isNaN(ratio)) return 'miss'
  return (c.goal.op === '>=' ? ratio >= c.goal.value : ratio <= c.goal.value) ? 'pass' : 'miss'
}
