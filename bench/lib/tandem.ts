import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { freePort, startChild } from './child.ts'
import { createScratchDatabase, type ScratchDatabase } from './database.ts'
import { inspectorUrlOf } from './inspector.ts'
import { mapLimit } from './stats.ts'
import type { BenchContext } from './types.ts'

export interface TandemServer {
  /** Where the bench reaches it: http://127.0.0.1:<port>. */
  origin: string
  pid: number
  /** Its database; another server can be started on it after this one stops. */
  database: ScratchDatabase
  /** The connection string of its database (PostgreSQL only). */
  databaseUrl: string | undefined
  /** Set when started with `inspect`: the V8 inspector's WebSocket URL. */
  inspectorUrl: string | undefined
  stop(): Promise<void>
}

// Production refuses to start without one; one per run, so servers sharing a database agree on it.
const SECRET_KEY = randomBytes(32).toString('base64url')

/**
 * Runs src/tandem/main.ts in a child process on a fresh database, as production does (NODE_ENV=production,
 * no logging); migrations run at start. Stopped and its database dropped when the workload ends.
 */
export async function startTandem(
  ctx: BenchContext,
  options: {
    database?: ScratchDatabase
    inspect?: boolean
    /** More environment for the server (TANDEM_ACCESS_TOKEN_TTL_SECONDS, for instance). */
    env?: Record<string, string>
    /** Sets TANDEM_PUBLIC_ORIGIN to the URL the bench calls, as the OAuth issuer must be. */
    issuerIsUrl?: boolean
  } = {},
): Promise<TandemServer> {
  const database = options.database ?? (await createScratchDatabase(ctx.database))
  if (!options.database) ctx.defer(() => database.drop())
  const port = await freePort()
  const child = await startChild({
    name: 'Tandem',
    script: join(ctx.root, 'src/tandem/main.ts'),
    env: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      TANDEM_HOST: '127.0.0.1',
      TANDEM_PORT: String(port),
      TANDEM_SECRET_KEY: SECRET_KEY,
      ...(database.kind === 'postgres'
        ? { TANDEM_DATABASE_URL: database.url }
        : { DATA_DIR: database.dataDir }),
      ...(options.issuerIsUrl ? { TANDEM_PUBLIC_ORIGIN: `http://127.0.0.1:${port}` } : {}),
      ...options.env,
    },
    ready: /Tandem listening on (http:\/\/\S+)/,
    execArgv: [
      ...(ctx.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${ctx.cpuProfileDir}`] : []),
      ...(options.inspect ? ['--inspect=127.0.0.1:0'] : []),
    ],
  })
  ctx.defer(() => child.stop())
  return {
    origin: child.ready[1]!,
    pid: child.pid,
    database,
    databaseUrl: database.kind === 'postgres' ? database.url : undefined,
    inspectorUrl: options.inspect ? inspectorUrlOf(child.output()) : undefined,
    stop: child.stop,
  }
}

export interface BenchUser {
  id: string
  username: string
  /** `tandem_session=…`, ready for a Cookie header. */
  cookie: string
}

/** One JSON call to the first-party API; throws on anything but 2xx. */
export async function api<T>(
  origin: string,
  method: string,
  path: string,
  options: { cookie?: string; body?: unknown } = {},
): Promise<{ body: T; headers: Headers }> {
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.cookie ? { cookie: options.cookie } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await res.text()
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`)
  }
  return { body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers }
}

/** The password of every user signUpUsers makes. */
export const PASSWORD = 'bench-password-1'
// Sign-up hashes with argon2id (19 MiB, in libuv's pool of 4 threads): more in flight only queues.
const SIGNUP_CONCURRENCY = 4

/** Signs up `count` users named `<prefix>_<n>` through POST /api/signup; each keeps its session cookie. */
export async function signUpUsers(
  ctx: BenchContext,
  origin: string,
  prefix: string,
  count: number,
): Promise<BenchUser[]> {
  const bar = ctx.progress.bar(`signing up ${count} users`, count)
  const started = performance.now()
  const users = await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    SIGNUP_CONCURRENCY,
    async (i) => {
      const username = `${prefix}_${i}`
      const { body, headers } = await api<{ user: { id: string } }>(origin, 'POST', '/api/signup', {
        body: { username, displayName: `Bench ${prefix} ${i}`, password: PASSWORD },
      })
      const cookie = headers
        .getSetCookie()
        .map((c) => c.split(';')[0]!)
        .find((c) => c.startsWith('tandem_session='))
      if (!cookie) throw new Error(`sign-up of ${username} set no session cookie`)
      bar.tick()
      return { id: body.user.id, username, cookie }
    },
  )
  bar.done(`${((performance.now() - started) / count).toFixed(0)} ms per sign-up`)
  return users
}

export interface Pair {
  a: BenchUser
  b: BenchUser
  threadId: string
}

/** Makes users 2i and 2i+1 friends (each asks the other) and opens their one-to-one thread. */
export async function pairUp(ctx: BenchContext, origin: string, users: BenchUser[]): Promise<Pair[]> {
  const couples = Array.from({ length: Math.floor(users.length / 2) }, (_, i) => ({
    a: users[2 * i]!,
    b: users[2 * i + 1]!,
  }))
  const bar = ctx.progress.bar(`pairing ${couples.length} couples and opening their threads`, couples.length)
  const pairs = await mapLimit(couples, 8, async ({ a, b }) => {
    await api(origin, 'POST', '/api/friends/requests', { cookie: a.cookie, body: { username: b.username } })
    await api(origin, 'POST', '/api/friends/requests', { cookie: b.cookie, body: { username: a.username } })
    const { body } = await api<{ thread: { id: string } }>(origin, 'POST', '/api/threads', {
      cookie: a.cookie,
      body: { usernames: [b.username] },
    })
    bar.tick()
    return { a, b, threadId: body.thread.id }
  })
  bar.done()
  return pairs
}

export interface SentMessage {
  id: string
  links: { url: string; href: string }[]
}

export async function sendMessage(
  origin: string,
  user: BenchUser,
  threadId: string,
  text: string,
): Promise<SentMessage> {
  const { body } = await api<{ message: SentMessage }>(origin, 'POST', `/api/threads/${threadId}/messages`, {
    cookie: user.cookie,
    body: { text },
  })
  return body.message
}

/** Reads gauges from the Prometheus text of /metrics, by full metric name. */
export async function scrapeMetrics(
  origin: string,
  names: readonly string[],
): Promise<Record<string, number>> {
  const res = await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(10_000) })
  const text = await res.text()
  const values: Record<string, number> = {}
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const [name, value] = line.split(/\s+/)
    if (name && value && names.includes(name)) values[name] = Number(value)
  }
  for (const name of names) if (values[name] === undefined) throw new Error(`/metrics has no ${name}`)
  return values
}
