import { startBaseline } from '../lib/baseline.ts'
import { memoryAfterGc, openInspector } from '../lib/inspector.ts'
import { checkFileLimit, closeSockets, type OpenSocket, openSockets } from '../lib/sockets.ts'
import { median, sleep, slope } from '../lib/stats.ts'
import { scrapeMetrics, signUpUsers, startTandem } from '../lib/tandem.ts'
import type { BenchContext, Workload, WorkloadResult } from '../lib/types.ts'

const SAMPLE_GAP_MS = 200
const WARM_UP = 100

interface Memory {
  rss: number
  heapUsed: number
  connections: number
}

interface Curve {
  points: { sockets: number; rss: number; heap: number; connections: number }[]
  rssPerSocket: number
  heapPerSocket: number
}

/**
 * Server memory as idle WebSockets are opened in steps, Tandem against a bare ws server, both in child
 * processes started with --inspect: at each step the bench forces a full garbage collection through the
 * inspector and reads process.memoryUsage() in the server, so garbage does not blur the live heap. The
 * slope over the steps is the cost of one idle socket; a fixed offset (the database pool, caches) does
 * not enter it.
 */
export const socketMemory: Workload = {
  name: 'socket-memory',
  title: 'memory per idle WebSocket connection',
  async run(ctx: BenchContext): Promise<WorkloadResult> {
    const total = ctx.quick ? 200 : 1000
    const steps = ctx.quick ? 2 : 4
    const userCount = ctx.quick ? 20 : 100
    const settleMs = ctx.quick ? 500 : 1000
    const readings = ctx.quick ? 2 : 3
    const { progress } = ctx
    const fileLimit = checkFileLimit(total)

    // Sign-up runs argon2id (19 MiB a hash), whose freed buffers would stay in the RSS and absorb the
    // sockets' allocations: users are made by one server, and another one on the same database is measured.
    progress.phase('starting a Tandem to sign users up')
    const seeder = await startTandem(ctx)
    const users = await signUpUsers(ctx, seeder.origin, 'idle', userCount)
    await seeder.stop()
    progress.phase('starting a fresh Tandem on the same database, and the bare ws server')
    const tandem = await startTandem(ctx, { database: seeder.database, inspect: true })
    const bare = await startBaseline(ctx, 'ws.server.ts', { inspect: true })

    const cookies = Array.from({ length: total }, (_, i) => ({
      owner: i % userCount,
      cookie: users[i % userCount]!.cookie,
    }))
    const tandemInspector = await openInspector(tandem.inspectorUrl!)
    const bareInspector = await openInspector(bare.inspectorUrl!)
    ctx.defer(() => tandemInspector.close())
    ctx.defer(() => bareInspector.close())
    const tandemMemory = async (): Promise<Memory> => {
      const m = await scrapeMetrics(tandem.origin, ['tandem_websocket_connections'])
      return { ...(await memoryAfterGc(tandemInspector)), connections: m.tandem_websocket_connections! }
    }
    const bareMemory = async (): Promise<Memory> => {
      const res = await fetch(`${bare.origin}/connections`, { signal: AbortSignal.timeout(10_000) })
      const { connections } = (await res.json()) as { connections: number }
      return { ...(await memoryAfterGc(bareInspector)), connections }
    }

    const curve = async (name: string, origin: string, read: () => Promise<Memory>): Promise<Curve> => {
      const url = `${origin.replace(/^http/, 'ws')}/ws`
      // A first batch opened and closed makes both servers compile their upgrade paths before step 0.
      await closeSockets(
        await openSockets(progress, url, cookies.slice(0, WARM_UP), `${name}: warm-up, ${WARM_UP} sockets`),
      )
      const sockets: OpenSocket[] = []
      ctx.defer(() => closeSockets(sockets))
      const points: Curve['points'] = []
      for (let step = 0; step <= steps; step++) {
        const target = Math.round((total * step) / steps)
        if (target > sockets.length) {
          const more = cookies.slice(sockets.length, target)
          sockets.push(
            ...(await openSockets(
              progress,
              `${origin.replace(/^http/, 'ws')}/ws`,
              more,
              `${name}: opening sockets ${sockets.length + 1}-${target}`,
            )),
          )
        }
        await sleep(settleMs)
        const samples: Memory[] = []
        for (let i = 0; i < readings; i++) {
          samples.push(await read())
          await sleep(SAMPLE_GAP_MS)
        }
        const point = {
          sockets: target,
          rss: median(samples.map((s) => s.rss)),
          heap: median(samples.map((s) => s.heapUsed)),
          connections: samples.at(-1)!.connections,
        }
        points.push(point)
        progress.phase(
          `${name}: ${point.connections} open, RSS ${(point.rss / 2 ** 20).toFixed(1)} MiB, heap ${(point.heap / 2 ** 20).toFixed(1)} MiB`,
        )
        if (point.connections !== target)
          throw new Error(`${name} reports ${point.connections} connections, expected ${target}`)
      }
      await closeSockets(sockets)
      return {
        points,
        rssPerSocket: slope(points.map((p) => ({ x: p.sockets, y: p.rss }))),
        heapPerSocket: slope(points.map((p) => ({ x: p.sockets, y: p.heap }))),
      }
    }

    const bareCurve = await curve('bare ws', bare.origin, bareMemory)
    const tandemCurve = await curve('Tandem', tandem.origin, tandemMemory)

    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
    const span = (c: Curve) => {
      const first = c.points[0]!
      const last = c.points.at(-1)!
      return `RSS ${mib(first.rss)} → ${mib(last.rss)}, heap ${mib(first.heap)} → ${mib(last.heap)}`
    }
    return {
      summary:
        `${total} idle sockets opened in ${steps} steps (${userCount} users, so ${total / userCount} tabs each on Tandem), ` +
        `each step followed by ${settleMs / 1000} s of quiet and ${readings} readings, each taken right after a full ` +
        'garbage collection forced through the V8 inspector (both servers run with --inspect); the per-socket ' +
        'cost is the least-squares slope of the median reading over open sockets. Open counts come from ' +
        "Tandem's /metrics gauge and from the bare server's own count.",
      baseline: 'bare ws server',
      comparisons: [
        {
          metric: 'RSS per idle socket',
          unit: 'bytes',
          tandem: tandemCurve.rssPerSocket,
          baseline: bareCurve.rssPerSocket,
          goal: { op: '<=', value: 2 },
        },
        {
          metric: 'JS heap per idle socket',
          unit: 'bytes',
          tandem: tandemCurve.heapPerSocket,
          baseline: bareCurve.heapPerSocket,
          goal: { op: '<=', value: 2 },
        },
      ],
      facts: [
        `Tandem, 0 → ${total} sockets: ${span(tandemCurve)}.`,
        `Bare ws, 0 → ${total} sockets: ${span(bareCurve)}.`,
        `Both servers' own counts matched the sockets opened at every step.`,
        `${fileLimit}.`,
      ],
      notes: [
        'Goal, set before measuring: an idle Tandem socket (session, hub entry, heartbeat bookkeeping) costs at ' +
          'most twice the memory of a bare ws socket, in resident memory and in JS heap alike. The heap figure is ' +
          'the sharper one: RSS also moves with what the allocator keeps or gives back.',
      ],
      charts: [
        {
          file: 'socket-memory.svg',
          title: 'Memory per idle WebSocket (bytes)',
          unit: 'B',
          groups: [
            {
              label: 'RSS',
              bars: [
                { series: 'Tandem', value: tandemCurve.rssPerSocket },
                { series: 'bare ws', value: bareCurve.rssPerSocket },
              ],
            },
            {
              label: 'JS heap',
              bars: [
                { series: 'Tandem', value: tandemCurve.heapPerSocket },
                { series: 'bare ws', value: bareCurve.heapPerSocket },
              ],
            },
          ],
        },
      ],
    }
  },
}
