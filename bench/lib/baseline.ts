import { join } from 'node:path'
import { freePort, startChild } from './child.ts'
import { inspectorUrlOf } from './inspector.ts'
import type { BenchContext } from './types.ts'

export interface Baseline {
  origin: string
  pid: number
  /** Set when started with `inspect`: the V8 inspector's WebSocket URL. */
  inspectorUrl: string | undefined
}

/** Starts one of bench/baselines/*.server.ts in its own process; stopped when the workload ends. */
export async function startBaseline(
  ctx: BenchContext,
  file: string,
  options: { inspect?: boolean } = {},
): Promise<Baseline> {
  const port = await freePort()
  const child = await startChild({
    name: file,
    script: join(ctx.root, 'bench/baselines', file),
    env: { PORT: String(port), NODE_ENV: 'production' },
    execArgv: options.inspect ? ['--inspect=127.0.0.1:0'] : [],
    ready: /listening on (\d+)/,
  })
  ctx.defer(() => child.stop())
  return {
    origin: `http://127.0.0.1:${child.ready[1]}`,
    pid: child.pid,
    inspectorUrl: options.inspect ? inspectorUrlOf(child.output()) : undefined,
  }
}
