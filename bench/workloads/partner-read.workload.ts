import { type CpuUse, cpuMeter, microsPer } from '../lib/cpu.ts'
import { type LoadResult, loadTest } from '../lib/load.ts'
import { connectUsers, partnerGet, registerBenchPartner } from '../lib/partner.ts'
import { formatValue } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
import { signUpUsers, startTandem } from '../lib/tandem.ts'
import type { BenchContext, Workload, WorkloadResult } from '../lib/types.ts'

// As many concurrent readers as Tandem's PostgreSQL pool has connections; one user (and token) each.
const CONCURRENCY = 10

type Run = LoadResult & { cpu: CpuUse }

/**
 * GET /partner/v1/me with a partner's access token (the partner guard: JWT verify, grant and agreement
 * checks; then the user read and a ledger entry in one transaction) against GET /api/me with a session
 * cookie (session lookup, user read), on the same server, same users, in alternating rounds.
 */
export const partnerRead: Workload = {
  name: 'partner-read',
  title: 'partner read (GET /partner/v1/me) vs first-party read (GET /api/me)',
  async run(ctx: BenchContext): Promise<WorkloadResult> {
    const rounds = ctx.quick ? 1 : 5
    const seconds = ctx.quick ? 2 : 4
    const warmup = ctx.quick ? 1 : 2
    const { progress } = ctx

    progress.phase('starting Tandem')
    // Tokens outlive the run (the default is 5 minutes; a full run of this workload takes about 2).
    const tandem = await startTandem(ctx, {
      issuerIsUrl: true,
      env: { TANDEM_ACCESS_TOKEN_TTL_SECONDS: '3600' },
    })
    const users = await signUpUsers(ctx, tandem.origin, 'reader', CONCURRENCY)
    progress.phase('registering the partner')
    const partner = await registerBenchPartner(tandem)
    const tokens = await connectUsers(ctx, tandem, partner, users, 'openid friends.app')
    // Each token must read its own user before the load starts.
    const ids = new Set<string>()
    for (const token of tokens) {
      ids.add((await partnerGet<{ id: string }>(tandem.origin, '/partner/v1/me', token)).id)
    }
    if (ids.size !== tokens.length) throw new Error('the tokens do not name distinct users')

    const withPostgres = ctx.database.kind === 'postgres'
    const load = async (side: 'partner' | 'session', label: string, secs: number): Promise<Run> => {
      let next = 0
      const meter = cpuMeter({ server: tandem.pid }, withPostgres)
      const result = await loadTest(progress, {
        label,
        url: tandem.origin,
        connections: CONCURRENCY,
        seconds: secs,
        setupClient: (client) => {
          const token = tokens[next++ % tokens.length]!
          client.setRequests([
            side === 'partner'
              ? { method: 'GET', path: '/partner/v1/me', headers: { authorization: token.authorization } }
              : { method: 'GET', path: '/api/me', headers: { cookie: token.user.cookie } },
          ])
        },
      })
      return { ...result, cpu: meter.stop() }
    }

    await load('session', 'warm-up GET /api/me', warmup)
    await load('partner', 'warm-up GET /partner/v1/me', warmup)
    const sessionRuns: Run[] = []
    const partnerRuns: Run[] = []
    for (let round = 1; round <= rounds; round++) {
      sessionRuns.push(await load('session', `round ${round}/${rounds} GET /api/me`, seconds))
      partnerRuns.push(await load('partner', `round ${round}/${rounds} GET /partner/v1/me`, seconds))
      progress.phase(
        `round ${round}: /api/me ${ok(sessionRuns.at(-1)!).toFixed(0)} req/s, /partner/v1/me ` +
          `${ok(partnerRuns.at(-1)!).toFixed(0)} req/s`,
      )
    }

    const sum = (runs: Run[], pick: (r: Run) => number) => runs.reduce((s, r) => s + pick(r), 0)
    const cpuPer = (runs: Run[], pick: (c: CpuUse) => number | undefined) =>
      microsPer(
        sum(runs, (r) => pick(r.cpu) ?? Number.NaN),
        sum(runs, (r) => r.byClass['2xx']),
      )
    const cpu = {
      partnerServer: cpuPer(partnerRuns, (c) => c.server),
      partnerPostgres: cpuPer(partnerRuns, (c) => c.postgres),
      sessionServer: cpuPer(sessionRuns, (c) => c.server),
      sessionPostgres: cpuPer(sessionRuns, (c) => c.postgres),
    }
    const notOk = (runs: Run[]) => sum(runs, (r) => r.completed - r.byClass['2xx'])
    return {
      summary:
        `${CONCURRENCY} concurrent readers (autocannon connections, closed loop), one user each: GET /partner/v1/me ` +
        "with the user's partner access token against GET /api/me with the same user's session cookie, on the " +
        `same server. ${rounds} alternating round(s) of ${seconds} s per side after a ${warmup} s warm-up; medians ` +
        'over rounds, and for the rate the median of the per-round ratios.',
      baseline: 'GET /api/me (session cookie)',
      comparisons: [
        {
          metric: 'reads/s',
          unit: 'req/s',
          tandem: median(partnerRuns.map(ok)),
          baseline: median(sessionRuns.map(ok)),
          ratio: median(partnerRuns.map((r, i) => ok(r) / ok(sessionRuns[i]!))),
          goal: { op: '>=', value: 0.9 },
        },
        {
          metric: 'latency p50',
          unit: 'ms',
          tandem: median(partnerRuns.map((r) => r.p50Ms)),
          baseline: median(sessionRuns.map((r) => r.p50Ms)),
        },
        {
          metric: 'latency p99',
          unit: 'ms',
          tandem: median(partnerRuns.map((r) => r.p99Ms)),
          baseline: median(sessionRuns.map((r) => r.p99Ms)),
        },
        {
          metric: 'server CPU per read',
          unit: 'µs',
          tandem: cpu.partnerServer,
          baseline: cpu.sessionServer,
        },
      ],
      facts: [
        `/partner/v1/me answered ${sum(partnerRuns, (r) => r.byClass['2xx']).toLocaleString('en-US')} reads with ` +
          `200 in the measured rounds, ${notOk(partnerRuns)} otherwise; /api/me ` +
          `${sum(sessionRuns, (r) => r.byClass['2xx']).toLocaleString('en-US')}, ${notOk(sessionRuns)} otherwise. ` +
          `Errors ${sum(partnerRuns, (r) => r.errors) + sum(sessionRuns, (r) => r.errors)}, timeouts ` +
          `${sum(partnerRuns, (r) => r.timeouts) + sum(sessionRuns, (r) => r.timeouts)}.`,
        `Tokens: ${tokens.length} users connected through the authorization-code flow (PKCE, private_key_jwt, ` +
          'resource = the partner API), scope openid friends.app; the partner registered straight in the database ' +
          'with agreements for every API.',
        withPostgres
          ? `CPU per read: /partner/v1/me server ${formatValue(cpu.partnerServer, 'µs')}, PostgreSQL ` +
            `${formatValue(cpu.partnerPostgres, 'µs')}; /api/me server ${formatValue(cpu.sessionServer, 'µs')}, ` +
            `PostgreSQL ${formatValue(cpu.sessionPostgres, 'µs')}.`
          : `CPU per read, server with its PGlite: /partner/v1/me ${formatValue(cpu.partnerServer, 'µs')}, ` +
            `/api/me ${formatValue(cpu.sessionServer, 'µs')}.`,
        `Per round: /api/me ${sessionRuns.map((r) => ok(r).toFixed(0)).join(', ')} req/s; /partner/v1/me ` +
          `${partnerRuns.map((r) => ok(r).toFixed(0)).join(', ')} req/s; ratio ` +
          `${partnerRuns.map((r, i) => (ok(r) / ok(sessionRuns[i]!)).toFixed(2)).join(', ')}.`,
      ],
      notes: [
        'What this compares: Tandem exposes no unguarded copy of a partner handler, so the baseline is the ' +
          'nearest first-party read, not the same handler without the guard. GET /api/me does a session lookup and ' +
          'one user read. GET /partner/v1/me does the guard (ES256 JWT verify; grant and agreement checks, each ' +
          'cached for 1 s) and then, in one transaction, the user read and a ledger INSERT (privacy rule 3): it is ' +
          'a write per read, which /api/me is not. The ratio therefore bounds the guard and the ledger together.',
        'GET /partner/v1/friends is not measured: it is rate-limited to 60 calls per minute per (partner, user), ' +
          `so ${CONCURRENCY} users could make at most ${CONCURRENCY} calls per second and the limit, not the ` +
          'handler, would be measured. GET /partner/v1/me has no rate limit.',
      ],
      charts: [
        {
          file: 'partner-read.svg',
          title: 'Partner read: GET /partner/v1/me (guarded) vs GET /api/me (session)',
          unit: 'req/s',
          groups: [
            {
              label: 'throughput',
              bars: [
                { series: 'Tandem partner API', value: median(partnerRuns.map(ok)) },
                { series: 'first-party /api/me', value: median(sessionRuns.map(ok)) },
              ],
            },
          ],
        },
      ],
    }
  },
}

/** 200s per second. */
function ok(run: LoadResult): number {
  return run.byClass['2xx'] / run.seconds
}
