import { cpus } from 'node:os'
import { type CpuUse, cpuMeter, microsPer } from '../lib/cpu.ts'
import { type FloorResult, openInsertFloor } from '../lib/insert-floor.ts'
import { type LoadResult, loadTest } from '../lib/load.ts'
import { formatValue } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
import { pairUp, signUpUsers, startTandem } from '../lib/tandem.ts'
import type { BenchContext, Workload, WorkloadResult } from '../lib/types.ts'

// As many concurrent senders as Tandem's PostgreSQL pool has connections, and one thread each.
const CONCURRENCY = 10

/**
 * POST /api/threads/:id/messages from concurrent senders over several threads, against the floor of the
 * database underneath: single-row INSERT transactions at the same concurrency, on the same database.
 */
export const messageSend: Workload = {
  name: 'message-send',
  title: 'message send rate vs raw INSERT transactions',
  async run(ctx: BenchContext): Promise<WorkloadResult> {
    const rounds = ctx.quick ? 1 : 5
    const seconds = ctx.quick ? 2 : 4
    const warmup = ctx.quick ? 1 : 2
    const { progress } = ctx

    progress.phase('starting Tandem')
    const tandem = await startTandem(ctx)
    const pairs = await pairUp(
      ctx,
      tandem.origin,
      await signUpUsers(ctx, tandem.origin, 'send', CONCURRENCY * 2),
    )
    const floor = await openInsertFloor(ctx, tandem.databaseUrl, CONCURRENCY)

    const withPostgres = ctx.database.kind === 'postgres'
    let nextClient = 0
    const send = async (label: string, secs: number) => {
      const meter = cpuMeter({ server: tandem.pid }, withPostgres)
      const result = await loadTest(progress, {
        label,
        url: tandem.origin,
        connections: CONCURRENCY,
        seconds: secs,
        setupClient: (client) => {
          const pair = pairs[nextClient++ % pairs.length]!
          client.setRequests([
            {
              method: 'POST',
              path: `/api/threads/${pair.threadId}/messages`,
              headers: { 'content-type': 'application/json', cookie: pair.a.cookie },
              body: JSON.stringify({ text: 'bench message: the quick brown fox jumps over the lazy dog' }),
            },
          ])
        },
      })
      return { ...result, cpu: meter.stop() }
    }
    const insert = async (label: string, secs: number) => {
      const meter = cpuMeter({}, withPostgres)
      const result = await progress.timed(label, secs, floor.run(secs))
      return { ...result, cpu: meter.stop() }
    }

    await insert('warm-up INSERT floor', warmup)
    await send('warm-up Tandem sends', warmup)
    const floorRuns: (FloorResult & { cpu: CpuUse })[] = []
    const sendRuns: (LoadResult & { cpu: CpuUse })[] = []
    for (let round = 1; round <= rounds; round++) {
      floorRuns.push(await insert(`round ${round}/${rounds} INSERT floor`, seconds))
      sendRuns.push(await send(`round ${round}/${rounds} Tandem sends`, seconds))
      const f = floorRuns.at(-1)!
      const s = sendRuns.at(-1)!
      progress.phase(
        `round ${round}: floor ${f.rps.toFixed(0)} rows/s, Tandem ${s.byClass['2xx']} sent = ${(s.byClass['2xx'] / s.seconds).toFixed(0)} msg/s`,
      )
    }

    const sent = (r: LoadResult) => r.byClass['2xx'] / r.seconds
    const rate = { tandem: median(sendRuns.map(sent)), floor: median(floorRuns.map((r) => r.rps)) }
    const p50 = { tandem: median(sendRuns.map((r) => r.p50Ms)), floor: median(floorRuns.map((r) => r.p50Ms)) }
    const p99 = { tandem: median(sendRuns.map((r) => r.p99Ms)), floor: median(floorRuns.map((r) => r.p99Ms)) }
    const total = (pick: (r: (typeof sendRuns)[number]) => number) =>
      sendRuns.reduce((s, r) => s + pick(r), 0)
    const floorTotal = (pick: (r: (typeof floorRuns)[number]) => number) =>
      floorRuns.reduce((s, r) => s + pick(r), 0)
    const sentTotal = total((r) => r.byClass['2xx'])
    const rowsTotal = floorTotal((r) => r.rows)
    // Cores kept busy: operations per second times CPU seconds per operation, over the processes named.
    const busy = (rate: number, micros: number[]) =>
      (micros.filter(Number.isFinite).reduce((a, b) => a + b, 0) * rate * 1e-6).toFixed(2)
    const cpu = {
      server: microsPer(
        total((r) => r.cpu.server ?? Number.NaN),
        sentTotal,
      ),
      postgres: microsPer(
        total((r) => r.cpu.postgres ?? Number.NaN),
        sentTotal,
      ),
      self: microsPer(
        total((r) => r.cpu.self ?? Number.NaN),
        sentTotal,
      ),
      floorPostgres: microsPer(
        floorTotal((r) => r.cpu.postgres ?? Number.NaN),
        rowsTotal,
      ),
      floorSelf: microsPer(
        floorTotal((r) => r.cpu.self ?? Number.NaN),
        rowsTotal,
      ),
    }
    return {
      summary:
        `${CONCURRENCY} concurrent senders (autocannon connections, closed loop), each on its own one-to-one thread, ` +
        `posting a 59-character text; the floor runs ${CONCURRENCY} workers doing BEGIN; INSERT one row; COMMIT ` +
        'into a four-column table, ' +
        (withPostgres
          ? 'each on its own connection, in the same database. '
          : 'in a separate embedded PGlite database in the bench process (PGlite serves one connection). ') +
        `${rounds} alternating round(s) of ${seconds} s per side after a ${warmup} s warm-up; medians over rounds, ` +
        'and for the rate the median of the per-round ratios.',
      baseline: 'single-row INSERT transactions',
      comparisons: [
        {
          metric: 'messages/s vs rows/s',
          unit: 'msg/s',
          baselineUnit: 'rows/s',
          tandem: rate.tandem,
          baseline: rate.floor,
          ratio: median(sendRuns.map((r, i) => sent(r) / floorRuns[i]!.rps)),
          goal: { op: '>=', value: 0.2 },
        },
        { metric: 'latency p50', unit: 'ms', tandem: p50.tandem, baseline: p50.floor },
        { metric: 'latency p99', unit: 'ms', tandem: p99.tandem, baseline: p99.floor },
        {
          metric: 'writes per CPU-second, writer and database together',
          unit: 'per CPU-s',
          tandem: 1e6 / (cpu.server + (withPostgres ? cpu.postgres : 0)),
          baseline: 1e6 / (cpu.floorSelf + (withPostgres ? cpu.floorPostgres : 0)),
        },
      ],
      facts: [
        `Tandem stored ${sentTotal.toLocaleString('en-US')} messages in the measured rounds; ` +
          `${total((r) => r.completed - r.byClass['2xx'])} answers were not 2xx, ${total((r) => r.errors)} errors, ` +
          `${total((r) => r.timeouts)} timeouts.`,
        `The floor committed ${rowsTotal.toLocaleString('en-US')} rows.`,
        withPostgres
          ? `CPU per message: Tandem server ${formatValue(cpu.server, 'µs')}, PostgreSQL ${formatValue(cpu.postgres, 'µs')}, ` +
            `load generator ${formatValue(cpu.self, 'µs')}. CPU per floor row: PostgreSQL ` +
            `${formatValue(cpu.floorPostgres, 'µs')}, client ${formatValue(cpu.floorSelf, 'µs')}.`
          : `CPU per message: Tandem server with its PGlite ${formatValue(cpu.server, 'µs')}, load generator ` +
            `${formatValue(cpu.self, 'µs')}. CPU per floor row, client with its PGlite: ${formatValue(cpu.floorSelf, 'µs')}.`,
        `Per round: floor ${floorRuns.map((r) => r.rps.toFixed(0)).join(', ')} rows/s; Tandem ` +
          `${sendRuns.map((r) => sent(r).toFixed(0)).join(', ')} msg/s; ratio ` +
          `${sendRuns.map((r, i) => (sent(r) / floorRuns[i]!.rps).toFixed(2)).join(', ')}.`,
      ],
      notes: [
        'Goal 0.2, set before measuring, when a send made 13 sequential round trips to the database (the session ' +
          'lookup, then BEGIN; thread; membership; members; blocks; sequence; INSERT; read marker; re-read with ' +
          'sender; members; NOTIFY; COMMIT) where the floor makes 3: round trips alone predicted about 0.23; the ' +
          'goal leaves a little room for HTTP, validation and JSON on top.',
        'A send now makes 7 round trips: the session lookup, then BEGIN; the thread with membership; members ' +
          'with blocks; sequence, INSERT and read marker in one statement; NOTIFY; COMMIT. Its parameterised ' +
          'statements run as named prepared statements (src/lib/db.ts), parsed once per pooled connection with ' +
          "their generic plans reused; the floor's INSERT is sent unnamed, parsed and planned each time.",
        `Where the time goes: a message costs ${formatValue(cpu.server, 'µs')} of Tandem CPU and ` +
          `${withPostgres ? `${formatValue(cpu.postgres, 'µs')} of PostgreSQL CPU` : 'nothing more (PGlite runs inside it)'}` +
          `, a floor row ${formatValue(cpu.floorSelf, 'µs')} of client CPU` +
          `${withPostgres ? ` and ${formatValue(cpu.floorPostgres, 'µs')} of PostgreSQL CPU` : ''}. ` +
          `Per write, a send costs ${(
            (cpu.server + (withPostgres ? cpu.postgres : 0)) /
              (cpu.floorSelf + (withPostgres ? cpu.floorPostgres : 0))
          ).toFixed(1)} times the CPU of a floor row. ` +
          `Sends used ${busy(rate.tandem, [cpu.server, cpu.postgres, cpu.self])} of the machine's ${cpus().length} ` +
          `cores (server, database and load generator together), the floor ${busy(rate.floor, [cpu.floorSelf, cpu.floorPostgres])}.`,
      ],
      charts: [
        {
          file: 'message-send.svg',
          title: 'Message send: POST /api/threads/:id/messages vs single-row INSERT transactions',
          unit: 'per s',
          groups: [
            {
              label: 'throughput',
              bars: [
                { series: 'Tandem', value: rate.tandem },
                { series: 'INSERT floor', value: rate.floor },
              ],
            },
          ],
        },
      ],
    }
  },
}
