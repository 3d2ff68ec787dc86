import { readdirSync, readFileSync } from 'node:fs'

// Linux reports utime and stime in clock ticks; 100 per second on every mainstream kernel build.
const TICKS_PER_SECOND = 100

/**
 * CPU seconds (user + system, all threads) a process has used so far; with `reapedChildren`, also what
 * its children that have exited and been waited for used. Undefined off Linux or once it is gone.
 */
export function processCpuSeconds(pid: number, reapedChildren = false): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces: fields are counted from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const own = Number(fields[11]) + Number(fields[12])
    const children = reapedChildren ? Number(fields[13]) + Number(fields[14]) : 0
    return (own + children) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/**
 * CPU seconds used so far by every process named `postgres` on this machine, or undefined if none is
 * visible. A backend that exits takes its CPU time out of the sum of live processes, but the
 * postmaster, which waits for it, adds it to its children's time: counting that keeps the total from
 * going backwards when connections close during a measurement.
 */
export function postgresCpuSeconds(): number | undefined {
  let total: number | undefined
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue
    } catch {
      continue
    }
    total = (total ?? 0) + (processCpuSeconds(Number(entry), true) ?? 0)
  }
  return total
}

export type CpuUse = Record<string, number | undefined>

/**
 * Measures CPU seconds spent by the named processes between `start` and `stop`: servers by pid, `self` for the
 * load generator (this process) and `postgres` for every PostgreSQL process (backends come and go, but the
 * pool's live through a round).
 */
export function cpuMeter(pids: Record<string, number>, withPostgres: boolean) {
  const read = (): CpuUse => ({
    ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processCpuSeconds(pid)])),
    self: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    ...(withPostgres ? { postgres: postgresCpuSeconds() } : {}),
  })
  const before = read()
  return {
    stop(): CpuUse {
      const after = read()
      return Object.fromEntries(
        Object.keys(after).map((name) => {
          const a = after[name]
          const b = before[name]
          return [name, a === undefined || b === undefined ? undefined : a - b]
        }),
      )
    },
  }
}

/** Microseconds of CPU per operation; NaN when unknown. */
export function microsPer(seconds: number | undefined, operations: number): number {
  if (seconds === undefined || operations === 0) return Number.NaN
  return (seconds / operations) * 1e6
}
