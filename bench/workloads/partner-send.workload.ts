import { randomUUID } from 'node:crypto'
import { type CpuUse, cpuMeter, microsPer } from '../lib/cpu.ts'
import { connectUsers, type PartnerToken, partnerGet, registerBenchPartner } from '../lib/partner.ts'
import { formatValue } from '../lib/report.ts'
import { mapLimit, median, percentile } from '../lib/stats.ts'
import { api, type BenchUser, signUpUsers, startTandem } from '../lib/tandem.ts'
import type { BenchContext, Workload, WorkloadResult } from '../lib/types.ts'

// As in message-send: as many concurrent senders as Tandem's PostgreSQL pool has connections.
const CONCURRENCY = 10
// Tandem's defaults (src/tandem/partner-api/limits.ts; the bench does not set the TANDEM_PARTNER_* variables
// that change them): accepted sends per sender per partner per UTC day, partner messages per recipient per
// UTC day, calls per (partner, user) per minute.
const SENDER_DAILY_CAP = 50
const RECIPIENT_DAILY_CAP = 10
const RATE_LIMIT_PER_MINUTE = 60
const RECIPIENTS_PER_SENDER = SENDER_DAILY_CAP / RECIPIENT_DAILY_CAP

interface Sender {
  user: BenchUser
  token: PartnerToken
  /** App-scoped ids of its recipients, as GET /partner/v1/friends names them. */
  recipients: string[]
  /** The one-to-one thread with its first recipient, for first-party sends. */
  threadId: string
}

interface Call {
  path: string
  headers: Record<string, string>
  body: string
}

interface Run {
  ok: number
  other: number
  notDelivered: number
  seconds: number
  latencies: number[]
  cpu: CpuUse
}

/**
 * A closed loop of `concurrency` workers over a fixed list of calls: each sends its next call when the
 * last one is answered. A fixed count rather than a duration, so that the daily caps are never reached.
 */
async function drive(
  origin: string,
  calls: Call[],
  concurrency: number,
  pid: number,
  withPostgres: boolean,
): Promise<Run> {
  const run: Run = { ok: 0, other: 0, notDelivered: 0, seconds: 0, latencies: [], cpu: {} }
  const meter = cpuMeter({ server: pid }, withPostgres)
  const started = performance.now()
  await mapLimit(calls, concurrency, async (call) => {
    const t0 = performance.now()
    const res = await fetch(`${origin}${call.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...call.headers },
      body: call.body,
      signal: AbortSignal.timeout(30_000),
    })
    const text = await res.text()
    run.latencies.push(performance.now() - t0)
    if (res.status !== 201) {
      run.other++
      return
    }
    run.ok++
    if (text.includes('"not_delivered"')) run.notDelivered++
  })
  run.seconds = (performance.now() - started) / 1000
  run.cpu = meter.stop()
  return run
}

/**
 * POST /partner/v1/recommendations (one recipient per call, a fresh Idempotency-Key each) against
 * POST /api/threads/:id/messages on the same server, at the same concurrency, in alternating rounds of
 * the same number of calls.
 */
export const partnerSend: Workload = {
  name: 'partner-send',
  title: 'partner send (Inbox API) vs first-party send',
  async run(ctx: BenchContext): Promise<WorkloadResult> {
    const rounds = ctx.quick ? 1 : 5
    const perRound = ctx.quick ? 250 : 600
    const warmup = ctx.quick ? 50 : 150
    const { progress } = ctx
    // Every partner call is budgeted: each sender sends at most SENDER_DAILY_CAP, at most RECIPIENT_DAILY_CAP
    // to each of its recipients, so no call meets a cap.
    const partnerCalls = warmup + rounds * perRound
    // Tandem serializes one sender's sends (a row lock per sender): at least twice as many senders as
    // workers, so that the calls in flight rarely wait on each other's lock.
    const senderCount = Math.max(Math.ceil(partnerCalls / SENDER_DAILY_CAP), 2 * CONCURRENCY)

    progress.phase('starting Tandem')
    const tandem = await startTandem(ctx, {
      issuerIsUrl: true,
      env: { TANDEM_ACCESS_TOKEN_TTL_SECONDS: '3600' },
    })
    const origin = tandem.origin
    const users = await signUpUsers(ctx, origin, 'psend', senderCount * (1 + RECIPIENTS_PER_SENDER))
    const senderUsers = users.slice(0, senderCount)
    const recipientsOf = (i: number) =>
      users.slice(senderCount + i * RECIPIENTS_PER_SENDER, senderCount + (i + 1) * RECIPIENTS_PER_SENDER)

    const bar = progress.bar(`befriending ${senderCount} senders with their recipients`, senderCount)
    const threads = await mapLimit(senderUsers, 8, async (sender, i) => {
      for (const friend of recipientsOf(i)) {
        await api(origin, 'POST', '/api/friends/requests', {
          cookie: sender.cookie,
          body: { username: friend.username },
        })
        await api(origin, 'POST', '/api/friends/requests', {
          cookie: friend.cookie,
          body: { username: sender.username },
        })
      }
      const { body } = await api<{ thread: { id: string } }>(origin, 'POST', '/api/threads', {
        cookie: sender.cookie,
        body: { usernames: [recipientsOf(i)[0]!.username] },
      })
      bar.tick()
      return body.thread.id
    })
    bar.done()

    progress.phase('registering the partner')
    const partner = await registerBenchPartner(tandem)
    const tokens = await connectUsers(ctx, tandem, partner, users, 'openid recommendations.send friends.app')
    const senders: Sender[] = await mapLimit(senderUsers, 8, async (user, i) => {
      const token = tokens[i]!
      const { appFriends } = await partnerGet<{ appFriends?: { id: string }[] }>(
        origin,
        '/partner/v1/friends',
        token,
      )
      const recipients = (appFriends ?? []).map((f) => f.id)
      if (recipients.length !== RECIPIENTS_PER_SENDER) {
        throw new Error(`${user.username} has ${recipients.length} app friends, not ${RECIPIENTS_PER_SENDER}`)
      }
      return { user, token, recipients, threadId: threads[i]! }
    })

    // The partner calls, interleaved over senders so that consecutive calls come from different senders.
    const partnerPlan: Call[] = []
    for (let k = 0; k < SENDER_DAILY_CAP; k++) {
      for (const sender of senders) {
        partnerPlan.push({
          path: '/partner/v1/recommendations',
          headers: { authorization: sender.token.authorization, 'idempotency-key': randomUUID() },
          body: JSON.stringify({
            recipients: [sender.recipients[k % RECIPIENTS_PER_SENDER]!],
            title: { id: `title-${k}`, name: 'The Bench Film', url: 'https://films.example/title/bench' },
            context: { interface: 'web', surface: 'title_page', variant: 'bench' },
          }),
        })
      }
    }
    let firstPartyIndex = 0
    const firstPartyPlan = (count: number): Call[] =>
      Array.from({ length: count }, () => {
        const sender = senders[firstPartyIndex++ % senders.length]!
        return {
          path: `/api/threads/${sender.threadId}/messages`,
          headers: { cookie: sender.user.cookie },
          body: JSON.stringify({ text: 'bench message: the quick brown fox jumps over the lazy dog' }),
        }
      })
    let partnerIndex = 0
    const nextPartner = (count: number) => {
      const calls = partnerPlan.slice(partnerIndex, partnerIndex + count)
      partnerIndex += count
      if (calls.length !== count) throw new Error('the partner call budget ran out')
      return calls
    }

    const withPostgres = ctx.database.kind === 'postgres'
    const timed = (label: string, calls: Call[]) => {
      progress.phase(`${label} (${calls.length} calls)`)
      return drive(origin, calls, CONCURRENCY, tandem.pid, withPostgres)
    }
    await timed('warm-up first-party sends', firstPartyPlan(warmup))
    await timed('warm-up partner sends', nextPartner(warmup))
    const firstPartyRuns: Run[] = []
    const partnerRuns: Run[] = []
    const rate = (r: Run) => r.ok / r.seconds
    for (let round = 1; round <= rounds; round++) {
      firstPartyRuns.push(await timed(`round ${round}/${rounds} first-party sends`, firstPartyPlan(perRound)))
      partnerRuns.push(await timed(`round ${round}/${rounds} partner sends`, nextPartner(perRound)))
      progress.phase(
        `round ${round}: first-party ${rate(firstPartyRuns.at(-1)!).toFixed(0)} msg/s, partner ` +
          `${rate(partnerRuns.at(-1)!).toFixed(0)} sends/s`,
      )
    }

    const sum = (runs: Run[], pick: (r: Run) => number) => runs.reduce((s, r) => s + pick(r), 0)
    const p = (runs: Run[], q: number) => median(runs.map((r) => percentile(r.latencies, q)))
    const cpuPer = (runs: Run[], pick: (c: CpuUse) => number | undefined) =>
      microsPer(
        sum(runs, (r) => pick(r.cpu) ?? Number.NaN),
        sum(runs, (r) => r.ok),
      )
    const cpu = {
      partnerServer: cpuPer(partnerRuns, (c) => c.server),
      partnerPostgres: cpuPer(partnerRuns, (c) => c.postgres),
      firstServer: cpuPer(firstPartyRuns, (c) => c.server),
      firstPostgres: cpuPer(firstPartyRuns, (c) => c.postgres),
    }
    return {
      summary:
        `${CONCURRENCY} concurrent workers (closed loop, fetch from the bench process) send a fixed number of ` +
        `calls per round: POST /partner/v1/recommendations with a partner access token, one recipient and a fresh ` +
        `Idempotency-Key per call, against POST /api/threads/:id/messages with a session cookie (a 59-character ` +
        `text), on the same server. ${rounds} alternating round(s) of ${perRound} calls per side after ${warmup} ` +
        'warm-up calls; medians over rounds, and for the rate the median of the per-round ratios.',
      baseline: 'first-party send (POST /api/threads/:id/messages)',
      comparisons: [
        {
          metric: 'sends/s',
          unit: 'msg/s',
          tandem: median(partnerRuns.map(rate)),
          baseline: median(firstPartyRuns.map(rate)),
          ratio: median(partnerRuns.map((r, i) => rate(r) / rate(firstPartyRuns[i]!))),
          goal: { op: '>=', value: 0.7 },
        },
        { metric: 'latency p50', unit: 'ms', tandem: p(partnerRuns, 0.5), baseline: p(firstPartyRuns, 0.5) },
        {
          metric: 'latency p99',
          unit: 'ms',
          tandem: p(partnerRuns, 0.99),
          baseline: p(firstPartyRuns, 0.99),
        },
        { metric: 'server CPU per send', unit: 'µs', tandem: cpu.partnerServer, baseline: cpu.firstServer },
      ],
      facts: [
        `Partner sends: ${sum(partnerRuns, (r) => r.ok).toLocaleString('en-US')} answered 201 in the measured ` +
          `rounds (${sum(partnerRuns, (r) => r.notDelivered)} of them not_delivered), ${sum(partnerRuns, (r) => r.other)} ` +
          `otherwise. First-party sends: ${sum(firstPartyRuns, (r) => r.ok).toLocaleString('en-US')} answered 201, ` +
          `${sum(firstPartyRuns, (r) => r.other)} otherwise.`,
        `Caps: Tandem allows ${SENDER_DAILY_CAP} partner sends per sender per day, ${RECIPIENT_DAILY_CAP} partner ` +
          `messages per recipient per day and ${RATE_LIMIT_PER_MINUTE} calls per (partner, user) per minute, with ` +
          `no setting to raise them. So the run budgets every call: ${senderCount} senders with ` +
          `${RECIPIENTS_PER_SENDER} recipients each (${users.length} users, all connected to the partner), each ` +
          `sender making at most ${SENDER_DAILY_CAP} calls, at most ${RECIPIENT_DAILY_CAP} to each recipient, ` +
          'interleaved over senders (consecutive calls come from different senders; Tandem serializes one ' +
          "sender's sends with a row lock); no call meets a cap or the rate limit. " +
          'First-party sends use the same senders, each on its thread with its first recipient.',
        withPostgres
          ? `CPU per send: partner server ${formatValue(cpu.partnerServer, 'µs')}, PostgreSQL ` +
            `${formatValue(cpu.partnerPostgres, 'µs')}; first-party server ${formatValue(cpu.firstServer, 'µs')}, ` +
            `PostgreSQL ${formatValue(cpu.firstPostgres, 'µs')}.`
          : `CPU per send, server with its PGlite: partner ${formatValue(cpu.partnerServer, 'µs')}, first-party ` +
            `${formatValue(cpu.firstServer, 'µs')}.`,
        `Per round: first-party ${firstPartyRuns.map((r) => rate(r).toFixed(0)).join(', ')} msg/s; partner ` +
          `${partnerRuns.map((r) => rate(r).toFixed(0)).join(', ')} sends/s; ratio ` +
          `${partnerRuns.map((r, i) => (rate(r) / rate(firstPartyRuns[i]!)).toFixed(2)).join(', ')}.`,
      ],
      notes: [
        'What this compares: the same message, sent by a partner for a user and by the user themselves. The ' +
          'partner send does more, in one transaction: after the guard (its token, grant and agreement checks ' +
          "cached for at most 1 s) and the rate limit (in memory), one statement that takes the sender's turn " +
          "(their row, locked until commit, so that one sender's sends run one at a time), takes the ledger " +
          "locks of the sender and the recipients, and reads the sender's sends today, the Idempotency-Key, the " +
          "partner's name and every recipient's checks (friend, block, mute, partner messages received today, " +
          'their thread); then one statement that writes the message with its shim link, the ledger entries of ' +
          'sender and recipient (hash-chained), the send rows, the realtime event (with the sequence number the ' +
          "message took), the day's count and the key with its answer, and counts again what each recipient " +
          'received today, now that their ledger locks are held. Two statements between BEGIN and COMMIT, against ' +
          'four for the first-party send (thread and membership, members and blocks, the message, the realtime ' +
          'event), which looks its session up first. The first statement reads from the snapshot taken when it ' +
          "began, before it took the turn; the turn's version, bumped by every send, tells whether another send " +
          'of the same sender committed in between, and only then does a third statement read again. The ' +
          "day's count per partner and context is split over 16 rows by sender, summed by its readers, so " +
          'concurrent senders rarely wait on one row lock until they commit.',
        'Where the difference goes: mostly PostgreSQL CPU (see CPU per send). The partner send writes more rows ' +
          "(the key and its answer, the sender's turn, the send, two chained ledger entries, the count), with " +
          'more index entries and ' +
          'foreign-key checks, and its statements are larger. Both sides run their statements as named prepared ' +
          'statements (src/lib/db.ts), so each is parsed once per pooled connection and its generic plan reused; ' +
          'lists of rows go in as VALUES lists (src/lib/db.ts valuesTable), not unnest of arrays, so that a ' +
          "generic plan's estimates, like a custom plan's, count them, and PostgreSQL keeps the generic plan. " +
          'On a machine whose two cores are busy, the rate follows the CPU each send costs, and ' +
          'another process using the machine during the run moves the ratio from round to round.',
        'Users connect to the partner from a browser already signed in to Tandem (its session cookie), so the ' +
          'authorization skips the password form, which allows 10 sign-ins a minute per address.',
        'A round is a fixed number of calls, not a fixed time, so that the daily caps are never reached; its rate ' +
          'is the calls answered 201 over the time from the first call to the last answer. The load generator is ' +
          'fetch in the bench process for both sides.',
      ],
      charts: [
        {
          file: 'partner-send.svg',
          title: 'Partner send: POST /partner/v1/recommendations vs POST /api/threads/:id/messages',
          unit: 'per s',
          groups: [
            {
              label: 'throughput',
              bars: [
                { series: 'Tandem partner API', value: median(partnerRuns.map(rate)) },
                { series: 'first-party send', value: median(firstPartyRuns.map(rate)) },
              ],
            },
          ],
        },
      ],
    }
  },
}
