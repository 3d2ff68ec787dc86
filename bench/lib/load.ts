import autocannon, { type Client, type Request } from 'autocannon'
import type { Progress } from './progress.ts'

export interface LoadResult {
  /** Completed responses ÷ elapsed seconds. */
  rps: number
  completed: number
  seconds: number
  p50Ms: number
  p99Ms: number
  errors: number
  timeouts: number
  byClass: { '2xx': number; '3xx': number; '4xx': number; '5xx': number }
}

export interface LoadOptions {
  label: string
  url: string
  connections: number
  seconds: number
  requests?: Request[]
  /** Gives each connection its own requests (cookie, thread). */
  setupClient?: (client: Client) => void
}

/** One autocannon run in this process, closed-loop: each connection sends its next request on the last answer. */
export async function loadTest(progress: Progress, options: LoadOptions): Promise<LoadResult> {
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    ...(options.requests ? { requests: options.requests } : {}),
    ...(options.setupClient ? { setupClient: options.setupClient } : {}),
  })
  const result = await progress.timed(options.label, options.seconds, Promise.resolve(instance))
  const completed = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx']
  return {
    rps: completed / result.duration,
    completed,
    seconds: result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    byClass: { '2xx': result['2xx'], '3xx': result['3xx'], '4xx': result['4xx'], '5xx': result['5xx'] },
  }
}
