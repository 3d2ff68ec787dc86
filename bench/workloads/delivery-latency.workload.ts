import { monitorEventLoopDelay } from 'node:perf_hooks'
import type WebSocket from 'ws'
import { checkFileLimit, closeSockets, type OpenSocket, openSockets } from '../lib/sockets.ts'
import { percentile, sleep } from '../lib/stats.ts'
import {
  api,
  type BenchUser,
  type Pair,
  pairUp,
  scrapeMetrics,
  signUpUsers,
  startTandem,
} from '../lib/tandem.ts'
import type { BenchContext, Workload, WorkloadResult } from '../lib/types.ts'

// Light load: sends start on a fixed schedule, well below the rate message-send reaches, so a stall shows
// as latency rather than as fewer sends. On a machine too busy to keep up, at most MAX_IN_FLIGHT wait for
// an answer (the schedule then slips, and the phase reports the rate it reached) and a phase ends after
// PHASE_LIMIT_MS however many it sent: queueing behind an overloaded machine is not what is measured here.
const SENDS_PER_SECOND = 25
const MAX_IN_FLIGHT = 4
const PHASE_LIMIT_MS = 30_000
const DELIVERY_GRACE_MS = 10_000
const SERVER_LAG = 'tandem_nodejs_eventloop_lag_p99_seconds'
// Both histograms time a 10 ms timer (prom-client's default precision) and include its interval: subtracted.
const LAG_RESOLUTION_MS = 10

interface Trip {
  /** performance.now() when the POST was issued. */
  start: number
  recipient: number
  /** Milliseconds from the POST to the answer, to the first and to the last of the recipient's tabs. */
  post?: number
  firstTab?: number
  lastTab?: number
  tabsSeen: number
  failed?: string
}

interface Phase {
  sockets: number
  trips: Trip[]
  /** Messages sent per second, as reached. */
  rate: number
  /** p99 event-loop delay during the phase, in ms: in Tandem (from /metrics) and in the bench process. */
  serverLagMs: number
  benchLagMs: number
}

/**
 * Time from POST /api/threads/:id/messages until the recipient's sockets receive the `message.created` frame:
 * first with one socket per user (the baseline), then with every user holding several tabs, 1,000 sockets in all.
 */
export const deliveryLatency: Workload = {
  name: 'delivery-latency',
  title: 'send-to-receive latency with 1,000 WebSocket clients',
  async run(ctx: BenchContext): Promise<WorkloadResult> {
    const userCount = ctx.quick ? 20 : 100
    const tabs = 10
    const messages = ctx.quick ? 60 : 300
    const { progress } = ctx
    const fileLimit = checkFileLimit(userCount * tabs)

    progress.phase('starting Tandem')
    const tandem = await startTandem(ctx)
    const users = await signUpUsers(ctx, tandem.origin, 'live', userCount)
    const pairs = await pairUp(ctx, tandem.origin, users)
    const wsUrl = `${tandem.origin.replace(/^http/, 'ws')}/ws`

    const probe = new LatencyProbe(ctx, tandem.origin, users, pairs)
    ctx.defer(() => closeSockets(probe.sockets))
    const owners = (perUser: number) =>
      users.flatMap((user, owner) => Array.from({ length: perUser }, () => ({ owner, cookie: user.cookie })))

    probe.watch(await openSockets(progress, wsUrl, owners(1), `opening ${userCount} sockets, one per user`))
    const few = await probe.measure(messages, 'one socket per user')

    const more = `opening ${userCount * (tabs - 1)} more sockets`
    probe.watch(await openSockets(progress, wsUrl, owners(tabs - 1), more))
    const gauge = await scrapeMetrics(tandem.origin, ['tandem_websocket_connections'])
    progress.phase(`Tandem reports ${gauge.tandem_websocket_connections} open WebSocket connections`)
    const many = await probe.measure(messages, `${probe.sockets.length} sockets`)

    const stat = (phase: Phase, pick: (t: Trip) => number | undefined, q: number) =>
      percentile(
        phase.trips.map(pick).filter((v): v is number => v !== undefined),
        q,
      )
    const lost = (phase: Phase) => phase.trips.filter((t) => !t.failed && t.firstTab === undefined).length
    const partial = (phase: Phase) =>
      phase.trips.filter((t) => t.firstTab !== undefined && t.lastTab === undefined).length
    const failed = (phase: Phase) => phase.trips.filter((t) => t.failed).length
    const first = (t: Trip) => t.firstTab
    const last = (t: Trip) => t.lastTab
    const post = (t: Trip) => t.post
    const describe = (phase: Phase) =>
      `${phase.sockets} sockets: ${phase.trips.length} messages, ${failed(phase)} sends failed, ` +
      `${lost(phase)} never reached the recipient, ${partial(phase)} reached only some of its tabs`
    const bars = (label: string, pick: (t: Trip) => number | undefined, q: number) => ({
      label,
      bars: [
        { series: `${many.sockets} sockets`, value: stat(many, pick, q) },
        { series: `${few.sockets} sockets`, value: stat(few, pick, q) },
      ],
    })
    const firstFailure = [...few.trips, ...many.trips].find((t) => t.failed)?.failed

    return {
      summary:
        `${userCount} users in ${pairs.length} one-to-one threads; up to ${messages} messages per phase on a schedule ` +
        `of ${SENDS_PER_SECOND}/s with at most ${MAX_IN_FLIGHT} awaiting an answer (reached: ${few.rate.toFixed(1)}/s ` +
        `and ${many.rate.toFixed(1)}/s), alternating senders, each message a distinct text. Baseline: every user holds one socket ` +
        `(${few.sockets} in all). Measured: every user holds ${tabs} tabs (${many.sockets} sockets), so each message ` +
        `is also fanned out to ${tabs} times as many sockets. Timed from issuing the POST to the frame arriving at ` +
        `the recipient's first tab and at the last of its tabs; the load generator holds the sockets in its own process.`,
      baseline: `one socket per user (${few.sockets})`,
      comparisons: [
        {
          metric: 'to first tab, p50',
          unit: 'ms',
          tandem: stat(many, first, 0.5),
          baseline: stat(few, first, 0.5),
        },
        {
          metric: 'to first tab, p99',
          unit: 'ms',
          tandem: stat(many, first, 0.99),
          baseline: stat(few, first, 0.99),
          goal: { op: '<=', value: 2 },
        },
        {
          metric: 'to last tab, p99',
          unit: 'ms',
          tandem: stat(many, last, 0.99),
          baseline: stat(few, last, 0.99),
        },
        {
          metric: 'POST answered, p50',
          unit: 'ms',
          tandem: stat(many, post, 0.5),
          baseline: stat(few, post, 0.5),
        },
        {
          metric: 'POST answered, p99',
          unit: 'ms',
          tandem: stat(many, post, 0.99),
          baseline: stat(few, post, 0.99),
        },
        {
          metric: 'Tandem event-loop delay, p99',
          unit: 'ms',
          tandem: many.serverLagMs,
          baseline: few.serverLagMs,
        },
        {
          metric: 'bench process event-loop delay, p99',
          unit: 'ms',
          tandem: many.benchLagMs,
          baseline: few.benchLagMs,
        },
      ],
      facts: [
        describe(few),
        describe(many),
        ...(firstFailure ? [`first send failure: ${firstFailure}`] : []),
        `Tandem's gauge showed ${gauge.tandem_websocket_connections} open connections during the measured phase.`,
        `${fileLimit}.`,
      ],
      notes: [
        'The last two rows (event-loop delay past a 10 ms sampling timer) say which side was late: a message ' +
          "waits for the server's event loop, and its arrival is only seen when the bench process's own loop, " +
          "busy with every tab's frames, gets to it.",
        'Goal, set before measuring: holding ten times the sockets (and fanning out to ten times the tabs) at most ' +
          'doubles the p99 to the recipient.',
      ],
      charts: [
        {
          file: 'delivery-latency.svg',
          title: 'Send-to-receive latency (ms)',
          unit: 'ms',
          groups: [
            bars('p50, first tab', first, 0.5),
            bars('p99, first tab', first, 0.99),
            bars('p99, last tab', last, 0.99),
          ],
        },
      ],
    }
  },
}

/** Times messages from their POST to their frames on the recipient's sockets. */
class LatencyProbe {
  readonly sockets: OpenSocket[] = []
  #ctx: BenchContext
  #origin: string
  #pairs: Pair[]
  #userIndex: Map<string, number>
  #tabs = new Map<number, number>()
  #pending = new Map<string, Trip>()
  #phase = 0

  constructor(ctx: BenchContext, origin: string, users: BenchUser[], pairs: Pair[]) {
    this.#ctx = ctx
    this.#origin = origin
    this.#pairs = pairs
    this.#userIndex = new Map(users.map((u, i) => [u.id, i]))
  }

  /** Starts timing frames on these sockets (owner = index of the user). */
  watch(open: OpenSocket[]): void {
    for (const s of open) {
      this.#tabs.set(s.owner, (this.#tabs.get(s.owner) ?? 0) + 1)
      s.socket.on('message', (data) => this.#onFrame(s.owner, data))
    }
    this.sockets.push(...open)
  }

  #onFrame(owner: number, data: WebSocket.RawData): void {
    const at = performance.now()
    const frame = JSON.parse(data.toString()) as { type: string; message?: { text: string } }
    if (frame.type !== 'message.created' || !frame.message) return
    const trip = this.#pending.get(frame.message.text)
    if (!trip || trip.recipient !== owner) return
    trip.tabsSeen += 1
    trip.firstTab ??= at - trip.start
    if (trip.tabsSeen === this.#tabs.get(owner)) {
      trip.lastTab = at - trip.start
      this.#pending.delete(frame.message.text)
    }
  }

  /** Sends `count` messages on a fixed schedule and waits (bounded) until every recipient's tabs have them. */
  async measure(count: number, label: string): Promise<Phase> {
    this.#phase += 1
    const trips: Trip[] = []
    const posts: Promise<void>[] = []
    const bar = this.#ctx.progress.bar(`${label}: sending ${count} messages`, count)
    // prom-client resets its event-loop histogram at every scrape: this one starts the phase's window.
    await scrapeMetrics(this.#origin, [SERVER_LAG])
    const benchLag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS })
    benchLag.enable()
    const started = performance.now()
    const inFlight = new Set<Promise<void>>()
    for (let i = 0; i < count && performance.now() - started < PHASE_LIMIT_MS; i++) {
      const wait = started + (i * 1000) / SENDS_PER_SECOND - performance.now()
      if (wait > 0) await sleep(wait)
      if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight)
      const pair = this.#pairs[i % this.#pairs.length]!
      const forth = Math.floor(i / this.#pairs.length) % 2 === 0
      const [sender, recipient] = forth ? [pair.a, pair.b] : [pair.b, pair.a]
      const text = `latency ${this.#phase} ${i}`
      const trip: Trip = {
        start: performance.now(),
        recipient: this.#userIndex.get(recipient.id)!,
        tabsSeen: 0,
      }
      trips.push(trip)
      this.#pending.set(text, trip)
      const sent = api(this.#origin, 'POST', `/api/threads/${pair.threadId}/messages`, {
        cookie: sender.cookie,
        body: { text },
      })
      const done = sent.then(
        () => {
          trip.post = performance.now() - trip.start
          bar.tick()
        },
        (error: Error) => {
          trip.failed = error.message
          this.#pending.delete(text)
          bar.tick()
        },
      )
      inFlight.add(done)
      void done.finally(() => inFlight.delete(done))
      posts.push(done)
    }
    await Promise.all(posts)
    const rate = (trips.length * 1000) / (performance.now() - started)
    bar.done(`${trips.length} sent at ${rate.toFixed(1)}/s`)
    const deadline = performance.now() + DELIVERY_GRACE_MS
    while (this.#pending.size > 0 && performance.now() < deadline) await sleep(50)
    // What has not arrived by now counts as lost; a late frame must not be taken for the next phase's.
    this.#pending.clear()
    benchLag.disable()
    const serverLag = await scrapeMetrics(this.#origin, [SERVER_LAG])
    return {
      sockets: this.sockets.length,
      trips,
      rate,
      serverLagMs: serverLag[SERVER_LAG]! * 1000 - LAG_RESOLUTION_MS,
      benchLagMs: benchLag.percentile(99) / 1e6 - LAG_RESOLUTION_MS,
    }
  }
}
