import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { percentile } from './stats.ts'
import type { BenchContext } from './types.ts'

export interface FloorResult {
  rps: number
  rows: number
  seconds: number
  p50Ms: number
  p99Ms: number
}

const TABLE = `create table if not exists bench_floor (
  id uuid primary key,
  thread_id uuid not null,
  body text not null,
  created_at timestamptz not null default now()
)`
const INSERT = 'insert into bench_floor (id, thread_id, body) values ($1, $2, $3)'

/** One transaction runner per concurrent worker: BEGIN; INSERT one row; COMMIT. */
type Runner = () => Promise<void>

/**
 * The floor under a message send: single-row INSERT transactions from `concurrency` workers, each on its
 * own connection (PostgreSQL, in the given database) or all on one embedded PGlite, which serialises them.
 */
export async function openInsertFloor(
  ctx: BenchContext,
  databaseUrl: string | undefined,
  concurrency: number,
) {
  const thread = randomUUID()
  let runners: Runner[]
  let close: () => Promise<void>
  if (databaseUrl) {
    const clients = Array.from(
      { length: concurrency },
      () => new pg.Client({ connectionString: databaseUrl }),
    )
    await Promise.all(clients.map((c) => c.connect()))
    await clients[0]!.query(TABLE)
    runners = clients.map((client) => async () => {
      await client.query('begin')
      await client.query(INSERT, [randomUUID(), thread, 'bench message'])
      await client.query('commit')
    })
    close = async () => {
      await Promise.all(clients.map((c) => c.end()))
    }
  } else {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-bench-floor-'))
    const pglite = await PGlite.create({ dataDir })
    await pglite.exec(TABLE)
    const runner: Runner = async () => {
      await pglite.transaction(async (tx) => {
        await tx.query(INSERT, [randomUUID(), thread, 'bench message'])
      })
    }
    runners = Array.from({ length: concurrency }, () => runner)
    close = async () => {
      await pglite.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  ctx.defer(close)

  return {
    async run(seconds: number): Promise<FloorResult> {
      const latencies: number[] = []
      const started = performance.now()
      const deadline = started + seconds * 1000
      await Promise.all(
        runners.map(async (runOne) => {
          while (performance.now() < deadline) {
            const t0 = performance.now()
            await runOne()
            latencies.push(performance.now() - t0)
          }
        }),
      )
      const elapsed = (performance.now() - started) / 1000
      return {
        rps: latencies.length / elapsed,
        rows: latencies.length,
        seconds: elapsed,
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
      }
    },
  }
}
