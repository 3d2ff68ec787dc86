import { randomBytes } from 'node:crypto'
import { UNGUARDED_ME_PATH } from '../../src/tandem/partner-api/me.routes.ts'
import { type CpuUse, cpuMeter, microsPer } from '../lib/cpu.ts'
import { type LoadResult, loadTest } from '../lib/load.ts'
import { connectUsers, type PartnerToken, partnerGet, registerBenchPartner } from '../lib/partner.ts'
import { formatValue } from '../lib/report.ts'
import { median } from '../lib/stats.ts'
import { signUpUsers, startTandem } from '../lib/tandem.ts'
import type { BenchContext, Workload, WorkloadResult } from '../lib/types.ts'

// As many concurrent readers as Tandem's PostgreSQL pool has connections; one user (and token) each.
const CONCURRENCY = 10

type Run = LoadResult & { cpu: CpuUse }

type Side = 'partner' | 'twin' | 'session'

/**
 * GET /partner/v1/me with a partner's access token (the partner guard: token, grant; then the user read
 * and a ledger entry in one transaction) against the same handler without the guard, a twin route the
 * server registers only when given a benchmark key (TANDEM_BENCH_UNGUARDED_KEY), on the same server, same
 * users, in alternating rounds. GET /api/me with a session cookie runs in the same rounds, for context.
 */
export const partnerRead: Workload = {
  name: 'partner-read',
  title: 'partner read (GET /partner/v1/me) with and without the partner guard',
  async run(ctx: BenchContext): Promise<WorkloadResult> {
    // Many short rounds: the ratio is the median of per-round ratios, which a shared machine's drift moves less.
    const rounds = ctx.quick ? 2 : 6
    const seconds = ctx.quick ? 2 : 3
    const warmup = ctx.quick ? 1 : 2
    const { progress } = ctx

    progress.phase('starting Tandem')
    // Tokens outlive the run (the default is 5 minutes; a full run of this workload takes about 2). The
    // key turns on the unguarded twin of GET /partner/v1/me for this server only (it listens on loopback).
    const benchKey = randomBytes(32).toString('base64url')
    const tandem = await startTandem(ctx, {
      issuerIsUrl: true,
      env: { TANDEM_ACCESS_TOKEN_TTL_SECONDS: '3600', TANDEM_BENCH_UNGUARDED_KEY: benchKey },
    })
    const users = await signUpUsers(ctx, tandem.origin, 'reader', CONCURRENCY)
    progress.phase('registering the partner')
    const partner = await registerBenchPartner(tandem)
    const tokens = await connectUsers(ctx, tandem, partner, users, 'openid friends.app')
    // Each token must read its own user, guarded and unguarded alike, before the load starts.
    const ids = new Set<string>()
    for (const token of tokens) {
      const guarded = await partnerGet<{ id: string; name: string }>(tandem.origin, '/partner/v1/me', token)
      const res = await fetch(`${tandem.origin}${UNGUARDED_ME_PATH}`, {
        headers: { authorization: token.authorization, 'x-bench-key': benchKey },
      })
      const unguarded = (await res.json()) as { id: string; name: string }
      if (res.status !== 200 || unguarded.id !== guarded.id || unguarded.name !== guarded.name) {
        throw new Error(`the unguarded twin answered ${res.status} ${JSON.stringify(unguarded)}`)
      }
      ids.add(guarded.id)
    }
    if (ids.size !== tokens.length) throw new Error('the tokens do not name distinct users')

    const paths: Record<Side, string> = {
      partner: '/partner/v1/me',
      twin: UNGUARDED_ME_PATH,
      session: '/api/me',
    }
    const headersOf = (side: Side, token: PartnerToken): Record<string, string> =>
      side === 'partner'
        ? { authorization: token.authorization }
        : side === 'twin'
          ? { authorization: token.authorization, 'x-bench-key': benchKey }
          : { cookie: token.user.cookie }
    const withPostgres = ctx.database.kind === 'postgres'
    /** `connections` readers, from `tokens[first]` on. */
    const load = async (
      side: Side,
      label: string,
      secs: number,
      { connections = CONCURRENCY, first = 0 } = {},
    ): Promise<Run> => {
      let next = first
      const meter = cpuMeter({ server: tandem.pid }, withPostgres)
      const result = await loadTest(progress, {
        label,
        url: tandem.origin,
        connections,
        seconds: secs,
        setupClient: (client) => {
          const token = tokens[next++ % tokens.length]!
          client.setRequests([{ method: 'GET', path: paths[side], headers: headersOf(side, token) }])
        },
      })
      return { ...result, cpu: meter.stop() }
    }

    await load('twin', 'warm-up unguarded twin', warmup)
    await load('partner', 'warm-up GET /partner/v1/me', warmup)
    await load('session', 'warm-up GET /api/me', warmup)
    const twinRuns: Run[] = []
    const partnerRuns: Run[] = []
    const sessionRuns: Run[] = []
    const sideBySide: { guarded: Run; unguarded: Run }[] = []
    for (let round = 1; round <= rounds; round++) {
      // Which of the two goes first alternates, so that neither always follows the other.
      const pair = async (side: 'twin' | 'partner') =>
        side === 'twin'
          ? twinRuns.push(await load('twin', `round ${round}/${rounds} unguarded twin`, seconds))
          : partnerRuns.push(await load('partner', `round ${round}/${rounds} GET /partner/v1/me`, seconds))
      for (const side of round % 2 === 1 ? (['twin', 'partner'] as const) : (['partner', 'twin'] as const)) {
        await pair(side)
      }
      sessionRuns.push(await load('session', `round ${round}/${rounds} GET /api/me`, seconds))
      // Then both side by side, half the readers each (which half alternates): the same moment of a shared
      // machine for both, so its drift, which moves whole rounds, does not move their ratio.
      const half = CONCURRENCY / 2
      const [guarded, unguarded] = await Promise.all([
        load('partner', `round ${round}/${rounds} side by side`, seconds, {
          connections: half,
          first: round % 2 === 1 ? 0 : half,
        }),
        load('twin', `round ${round}/${rounds} side by side`, seconds, {
          connections: half,
          first: round % 2 === 1 ? half : 0,
        }),
      ])
      sideBySide.push({ guarded: guarded!, unguarded: unguarded! })
      progress.phase(
        `round ${round}: unguarded ${ok(twinRuns.at(-1)!).toFixed(0)} req/s, /partner/v1/me ` +
          `${ok(partnerRuns.at(-1)!).toFixed(0)} req/s, /api/me ${ok(sessionRuns.at(-1)!).toFixed(0)} req/s; side by ` +
          `side ${ok(sideBySide.at(-1)!.guarded).toFixed(0)} vs ${ok(sideBySide.at(-1)!.unguarded).toFixed(0)} req/s`,
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
      twinServer: cpuPer(twinRuns, (c) => c.server),
      twinPostgres: cpuPer(twinRuns, (c) => c.postgres),
      sessionServer: cpuPer(sessionRuns, (c) => c.server),
      sessionPostgres: cpuPer(sessionRuns, (c) => c.postgres),
    }
    const notOk = (runs: Run[]) => sum(runs, (r) => r.completed - r.byClass['2xx'])
    const answered = (runs: Run[]) =>
      `${sum(runs, (r) => r.byClass['2xx']).toLocaleString('en-US')} with 200, ${notOk(runs)} otherwise`
    const ratios = (runs: Run[], base: Run[]) => runs.map((r, i) => ok(r) / ok(base[i]!))
    const paired = sideBySide.flatMap((r) => [r.guarded, r.unguarded])
    const all = [...partnerRuns, ...twinRuns, ...sessionRuns, ...paired]
    return {
      summary:
        `${CONCURRENCY} concurrent readers (autocannon connections, closed loop), one user each: GET /partner/v1/me ` +
        "with the user's partner access token against the same handler without the partner guard (a twin route " +
        'registered only for this benchmark, called with the same token), on the same server. Each round runs ' +
        'the two routes alone, one after the other (which goes first alternates), then GET /api/me with the same ' +
        `users' session cookies for context, then the two routes side by side, ${CONCURRENCY / 2} readers each. ` +
        `${rounds} round(s) of ${seconds} s per run after a ${warmup} s warm-up; medians over rounds, and for the ` +
        'rates the median of the per-round ratios. The goal is on the routes run alone, as every other ' +
        'workload is judged; side by side, both routes meet the same moment of a shared machine, so its drift ' +
        'does not move that ratio, and it is shown as a check.',
      baseline: 'the same handler without the guard',
      comparisons: [
        {
          metric: 'reads/s, each alone',
          unit: 'req/s',
          tandem: median(partnerRuns.map(ok)),
          baseline: median(twinRuns.map(ok)),
          ratio: median(ratios(partnerRuns, twinRuns)),
          goal: { op: '>=', value: 0.9 },
        },
        {
          metric: 'reads/s, side by side',
          unit: 'req/s',
          tandem: median(sideBySide.map((r) => ok(r.guarded))),
          baseline: median(sideBySide.map((r) => ok(r.unguarded))),
          ratio: median(sideBySide.map((r) => ok(r.guarded) / ok(r.unguarded))),
        },
        {
          metric: 'latency p50',
          unit: 'ms',
          tandem: median(partnerRuns.map((r) => r.p50Ms)),
          baseline: median(twinRuns.map((r) => r.p50Ms)),
        },
        {
          metric: 'latency p99',
          unit: 'ms',
          tandem: median(partnerRuns.map((r) => r.p99Ms)),
          baseline: median(twinRuns.map((r) => r.p99Ms)),
        },
        {
          metric: 'server CPU per read',
          unit: 'µs',
          tandem: cpu.partnerServer,
          baseline: cpu.twinServer,
        },
        {
          metric: 'reads/s',
          unit: 'req/s',
          tandem: median(partnerRuns.map(ok)),
          baseline: median(sessionRuns.map(ok)),
          against: 'GET /api/me (session cookie; context only)',
          ratio: median(ratios(partnerRuns, sessionRuns)),
        },
      ],
      facts: [
        `Answered in the measured rounds: /partner/v1/me ${answered(partnerRuns)}; the unguarded twin ` +
          `${answered(twinRuns)}; /api/me ${answered(sessionRuns)}; side by side, /partner/v1/me ` +
          `${answered(sideBySide.map((r) => r.guarded))} and the twin ${answered(sideBySide.map((r) => r.unguarded))}. ` +
          `Errors ${sum(all, (r) => r.errors)}, ` +
          `timeouts ${sum(all, (r) => r.timeouts)}.`,
        `Tokens: ${tokens.length} users connected through the authorization-code flow (PKCE, private_key_jwt, ` +
          'resource = the partner API), scope openid friends.app; the partner registered straight in the database ' +
          'with agreements for every API. Before the load, each token read its own user through both routes, with ' +
          'the same answer.',
        withPostgres
          ? `CPU per read: /partner/v1/me server ${formatValue(cpu.partnerServer, 'µs')}, PostgreSQL ` +
            `${formatValue(cpu.partnerPostgres, 'µs')}; unguarded twin server ${formatValue(cpu.twinServer, 'µs')}, ` +
            `PostgreSQL ${formatValue(cpu.twinPostgres, 'µs')}; /api/me server ${formatValue(cpu.sessionServer, 'µs')}, ` +
            `PostgreSQL ${formatValue(cpu.sessionPostgres, 'µs')}.`
          : `CPU per read, server with its PGlite: /partner/v1/me ${formatValue(cpu.partnerServer, 'µs')}, ` +
            `unguarded twin ${formatValue(cpu.twinServer, 'µs')}, /api/me ${formatValue(cpu.sessionServer, 'µs')}.`,
        `Per round: unguarded twin ${twinRuns.map((r) => ok(r).toFixed(0)).join(', ')} req/s; /partner/v1/me ` +
          `${partnerRuns.map((r) => ok(r).toFixed(0)).join(', ')} req/s (ratio ` +
          `${ratios(partnerRuns, twinRuns)
            .map((x) => x.toFixed(2))
            .join(
              ', ',
            )}); /api/me ${sessionRuns.map((r) => ok(r).toFixed(0)).join(', ')} req/s. Side by side: ` +
          `/partner/v1/me ${sideBySide.map((r) => ok(r.guarded).toFixed(0)).join(', ')} req/s, unguarded twin ` +
          `${sideBySide.map((r) => ok(r.unguarded).toFixed(0)).join(', ')} req/s (ratio ` +
          `${sideBySide.map((r) => (ok(r.guarded) / ok(r.unguarded)).toFixed(2)).join(', ')}).`,
      ],
      notes: [
        'What this compares: the guard alone. Both routes run the same handler: in one transaction, the user read ' +
          'and a ledger INSERT (privacy rule 3). GET /partner/v1/me first runs the partner guard: the ES256 JWT ' +
          'verify (once per token; later calls re-check only its time claims), the grant check (the known grants ' +
          're-read together once they are 1 s old, and forgotten at once when a grant or agreement changes) and ' +
          "the token's user (looked up once). The twin " +
          "reads the same token's claims without verifying them and remembers the user they name. It is registered " +
          `only when the server is started with TANDEM_BENCH_UNGUARDED_KEY (only on a loopback address), at ` +
          `${UNGUARDED_ME_PATH}, and answers only calls carrying that key; without it the path does not exist ` +
          '(src/tandem/partner-api/partner-api.test.ts checks that).',
        'Why two measures: run alone, each route has the whole machine, and the ratio of two runs a few seconds ' +
          'apart moves with whatever else the machine does (the per-round ratios show how much). Side by side, ' +
          "both meet the same moment, so the ratio is steadier; but CPU the guard spent would slow both routes' " +
          'requests a little, not the guarded ones alone, so that cost shows in full only in the runs alone: in ' +
          'their server CPU per read, the least noisy figure here.',
        'GET /api/me (a session lookup and one user read, no ledger write) is shown for context only: it is not ' +
          'the same handler, and its rate bounds the guard and the per-read ledger write together.',
        'GET /partner/v1/friends is not measured: it is rate-limited to 60 calls per minute per (partner, user), ' +
          `so ${CONCURRENCY} users could make at most ${CONCURRENCY} calls per second and the limit, not the ` +
          'handler, would be measured. GET /partner/v1/me has no rate limit.',
      ],
      charts: [
        {
          file: 'partner-read.svg',
          title: 'Partner read: GET /partner/v1/me with and without the guard, and GET /api/me',
          unit: 'req/s',
          groups: [
            {
              label: 'side by side',
              bars: [
                { series: 'Tandem partner API', value: median(sideBySide.map((r) => ok(r.guarded))) },
                { series: 'same handler, unguarded', value: median(sideBySide.map((r) => ok(r.unguarded))) },
              ],
            },
            {
              label: 'each alone',
              bars: [
                { series: 'Tandem partner API', value: median(partnerRuns.map(ok)) },
                { series: 'same handler, unguarded', value: median(twinRuns.map(ok)) },
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
