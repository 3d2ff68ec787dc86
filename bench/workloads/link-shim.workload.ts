import { cpus } from 'node:os'
import { startBaseline } from '../lib/baseline.ts'
import { type CpuUse, cpuMeter, microsPer } from '../lib/cpu.ts'
import { type LoadResult, loadTest } from '../lib/load.ts'
import { formatValue } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
import { pairUp, sendMessage, signUpUsers, startTandem } from '../lib/tandem.ts'
import type { BenchContext, Workload, WorkloadResult } from '../lib/types.ts'

const CONNECTIONS = 50
const LINKS = 5

interface Target {
  name: string
  origin: string
  pid: number
  paths: string[]
  runs: (LoadResult & { cpu: CpuUse })[]
}

/**
 * GET /l/:id (lookup through the bounded cache, buffered click recording, 302) against a bare node:http
 * server answering a constant 302, under the same closed-loop load, in alternating rounds. A bare Fastify
 * route runs alongside for context: it splits Tandem's cost into the framework's and Tandem's own.
 */
export const linkShim: Workload = {
  name: 'link-shim',
  title: 'link-shim redirect throughput',
  async run(ctx: BenchContext): Promise<WorkloadResult> {
    const rounds = ctx.quick ? 1 : 5
    const seconds = ctx.quick ? 2 : 4
    const warmup = ctx.quick ? 1 : 2
    const { progress } = ctx

    progress.phase('starting Tandem, the bare node:http server and the bare Fastify server')
    const tandem = await startTandem(ctx)
    const bare = await startBaseline(ctx, 'redirect.server.ts')
    const fastify = await startBaseline(ctx, 'fastify.server.ts')

    const [pair] = await pairUp(ctx, tandem.origin, await signUpUsers(ctx, tandem.origin, 'shim', 2))
    const paths: string[] = []
    for (let i = 0; i < LINKS; i++) {
      const message = await sendMessage(
        tandem.origin,
        pair!.a,
        pair!.threadId,
        `look https://example.org/x/${i}`,
      )
      const href = message.links[0]?.href
      if (!href) throw new Error('a message with a URL came back without a shim link')
      paths.push(new URL(href).pathname)
    }
    progress.phase(`${paths.length} shim links: ${paths.map((p) => p.slice(0, 10)).join(' ')}…`)

    // The baselines answer any path; they get the same paths so that request sizes match.
    const targets: Target[] = [
      { name: 'bare node:http', origin: bare.origin, pid: bare.pid, paths, runs: [] },
      { name: 'bare Fastify', origin: fastify.origin, pid: fastify.pid, paths, runs: [] },
      { name: 'Tandem', origin: tandem.origin, pid: tandem.pid, paths, runs: [] },
    ]
    const run = async (target: Target, label: string, secs: number) => {
      const meter = cpuMeter({ server: target.pid }, false)
      const result = await loadTest(progress, {
        label,
        url: target.origin,
        connections: CONNECTIONS,
        seconds: secs,
        requests: target.paths.map((path) => ({ method: 'GET', path })),
      })
      return { ...result, cpu: meter.stop() }
    }

    for (const target of targets) await run(target, `warm-up ${target.name}`, warmup)
    for (let round = 1; round <= rounds; round++) {
      for (const target of targets)
        target.runs.push(await run(target, `round ${round}/${rounds} ${target.name}`, seconds))
      progress.phase(
        `round ${round}: ${targets.map((t) => `${t.name} ${t.runs.at(-1)!.rps.toFixed(0)} req/s`).join(', ')}`,
      )
    }

    const [b, f, t] = targets as [Target, Target, Target]
    const med = (target: Target, pick: (r: LoadResult) => number) => median(target.runs.map(pick))
    const sum = (target: Target, pick: (r: Target['runs'][number]) => number) =>
      target.runs.reduce((s, r) => s + pick(r), 0)
    const cpuPer = (target: Target, name: string) =>
      microsPer(
        sum(target, (r) => r.cpu[name] ?? Number.NaN),
        sum(target, (r) => r.completed),
      )
    const rps = (target: Target) => med(target, (r) => r.rps)
    const pairedRatio = (over: Target) => median(t.runs.map((r, i) => r.rps / over.runs[i]!.rps))
    const wrong = (target: Target) => sum(target, (r) => r.completed - r.byClass['3xx'])
    return {
      summary:
        `autocannon, ${CONNECTIONS} connections, closed loop, ${rounds} round(s) of ${seconds} s per server after a ` +
        `${warmup} s warm-up, the servers taking turns within each round; every server is asked for the same ${LINKS} ` +
        'shim paths in turn; figures are medians over rounds, and throughput ratios the median of the per-round ratios.',
      baseline: 'bare node:http 302',
      comparisons: [
        {
          metric: 'requests/s',
          unit: 'req/s',
          tandem: rps(t),
          baseline: rps(b),
          ratio: pairedRatio(b),
          goal: { op: '>=', value: 0.6 },
        },
        {
          metric: 'latency p50',
          unit: 'ms',
          tandem: med(t, (r) => r.p50Ms),
          baseline: med(b, (r) => r.p50Ms),
        },
        {
          metric: 'latency p99',
          unit: 'ms',
          tandem: med(t, (r) => r.p99Ms),
          baseline: med(b, (r) => r.p99Ms),
        },
        {
          metric: 'requests/s',
          against: 'bare Fastify 5 route',
          unit: 'req/s',
          tandem: rps(t),
          baseline: rps(f),
          ratio: pairedRatio(f),
        },
        {
          metric: 'requests per server CPU-second',
          unit: 'per CPU-s',
          tandem: 1e6 / cpuPer(t, 'server'),
          baseline: 1e6 / cpuPer(b, 'server'),
        },
      ],
      facts: [
        ...targets.map(
          (target) =>
            `${target.name}: ${sum(target, (r) => r.completed).toLocaleString('en-US')} requests answered in the measured rounds, ` +
            `${wrong(target)} not 302, ${sum(target, (r) => r.errors)} errors, ${sum(target, (r) => r.timeouts)} timeouts; ` +
            `per round ${target.runs.map((r) => r.rps.toFixed(0)).join(', ')} req/s; server CPU ` +
            `${formatValue(cpuPer(target, 'server'), 'µs')} per request, load generator CPU ` +
            `${formatValue(cpuPer(target, 'self'), 'µs')} per request.`,
        ),
        `Tandem ÷ bare node:http per round: ${t.runs.map((r, i) => (r.rps / b.runs[i]!.rps).toFixed(2)).join(', ')}.`,
      ],
      notes: [
        `Where the time goes: per request, the bare node:http server uses ${formatValue(cpuPer(b, 'server'), 'µs')} of ` +
          `CPU, a bare Fastify route ${formatValue(cpuPer(f, 'server'), 'µs')} and Tandem ` +
          `${formatValue(cpuPer(t, 'server'), 'µs')}. The difference between the first two is the framework's; ` +
          "between Fastify and Tandem, Tandem's own work (request id, hooks, metrics, cache lookup, click recording).",
        `The load generator runs on the same ${cpus().length} cores and spends ${formatValue(cpuPer(b, 'self'), 'µs')} ` +
          'per request against the bare server: where it, not the server, is the bottleneck, the baseline is held ' +
          'down and the throughput ratio flatters Tandem. Requests per server CPU-second do not depend on the load ' +
          `generator: by that measure Tandem reaches ${(cpuPer(b, 'server') / cpuPer(t, 'server')).toFixed(2)} of the bare server.`,
      ],
      charts: [
        {
          file: 'link-shim.svg',
          title: 'Link shim: GET /l/:id, requests/s (50 connections)',
          unit: 'req/s',
          groups: [t, b, f].map((target) => ({
            label: target.name,
            bars: [{ series: target.name, value: rps(target) }],
          })),
        },
      ],
    }
  },
}
