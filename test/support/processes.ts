import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import WebSocket from 'ws'

const ROOT = join(import.meta.dirname, '../..')
const READY_RE = /Tandem listening on (http:\/\/\S+)/
/** A bound on start-up (migrations, template load): past it the start counts as failed, not slow. */
const START_DEADLINE_MS = 60_000

export interface ServerProcess {
  url: string
  pid: number
  child: ChildProcess
  /** Everything the process wrote, for failure messages. */
  output(): string
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends the signal (if still running) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts `src/tandem/main.ts` as a real process on the given database; resolves once it listens. */
export async function startTandemProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['src/tandem/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TANDEM_DATABASE_URL: databaseUrl,
      TANDEM_PORT: '0',
      TANDEM_HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      NODE_ENV: 'development',
      TANDEM_DEMO: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }))
  const server: ServerProcess = {
    url: '',
    pid: child.pid!,
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
  server.url = await new Promise<string>((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`Tandem did not start within ${START_DEADLINE_MS} ms:\n${output}`))
    }, START_DEADLINE_MS)
    const onData = () => {
      const match = READY_RE.exec(output)
      if (!match) return
      clearTimeout(deadline)
      child.stdout!.off('data', onData)
      resolve(match[1]!)
    }
    child.stdout!.on('data', onData)
    void exited.then(({ code, signal }) => {
      clearTimeout(deadline)
      reject(new Error(`Tandem exited during start-up (code ${code}, signal ${signal}):\n${output}`))
    })
  })
  return server
}

/** Stops every process still running; for `after` hooks, so a failed test leaves nothing behind. */
export async function stopAll(servers: Iterable<ServerProcess>): Promise<void> {
  await Promise.all([...servers].map((s) => s.stop('SIGKILL')))
}

export interface ApiUser {
  id: string
  username: string
  cookie: string
}

/** A JSON call with the session cookie, as the web client makes it. */
export async function api(
  base: string,
  user: { cookie: string } | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(new URL(path, base), {
    method,
    redirect: 'manual',
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(user ? { cookie: user.cookie } : {}),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers }
}

/** Signs up through the HTTP API and returns the session cookie it set. */
export async function signUpOver(base: string, username: string, displayName = username): Promise<ApiUser> {
  const res = await fetch(new URL('/api/signup', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, displayName, password: 'correct horse battery' }),
  })
  const body = (await res.json()) as { user: { id: string } }
  if (res.status !== 201)
    throw new Error(`sign-up of ${username} failed: ${res.status} ${JSON.stringify(body)}`)
  const set = res.headers.getSetCookie().find((c) => c.startsWith('tandem_session='))
  if (!set) throw new Error('sign-up set no session cookie')
  return { id: body.user.id, username, cookie: set.split(';')[0]! }
}

/** Makes two users friends (request, then accept) through whichever servers are given. */
export async function befriendOver(a: ApiUser, aBase: string, b: ApiUser, bBase: string): Promise<void> {
  const asked = await api(aBase, a, 'POST', '/api/friends/requests', { username: b.username })
  if (asked.status !== 201)
    throw new Error(`friend request failed: ${asked.status} ${JSON.stringify(asked.body)}`)
  const { request } = asked.body as { request: { id: string } }
  const accepted = await api(bBase, b, 'POST', `/api/friends/requests/${request.id}/accept`)
  if (accepted.status !== 200)
    throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`)
}

/** A frame from `/ws`: `{type, …}`. */
export interface RealtimeFrame {
  type: string
  threadId?: string
  message?: { id: string; threadId: string; text: string; sender: { id: string } }
  [key: string]: unknown
}

export interface EventSocket {
  socket: WebSocket
  /** Resolves with the first frame (already received or still to come) that matches. */
  next(match: (frame: RealtimeFrame) => boolean, what: string): Promise<RealtimeFrame>
  /** Every frame received so far. */
  frames(): RealtimeFrame[]
  /**
   * Round-trips an application ping: frames the server wrote to this socket before answering are then
   * in `frames()` (one connection delivers in order), so "nothing arrived" is checked without a timer.
   */
  sync(): Promise<void>
  close(): void
}

/** How long an expected realtime event may take before the wait counts as "never arrived". */
const EVENT_DEADLINE_MS = 15_000

/** Opens `/ws` with the user's cookie and waits for the server's hello (the socket is then registered). */
export async function openEvents(base: string, user: { cookie: string }): Promise<EventSocket> {
  const url = new URL('/ws', base)
  url.protocol = 'ws:'
  const socket = new WebSocket(url, { headers: { cookie: user.cookie } })
  const events: RealtimeFrame[] = []
  const waiters = new Set<() => void>()
  socket.on('message', (data) => {
    events.push(JSON.parse(data.toString()) as RealtimeFrame)
    for (const wake of waiters) wake()
  })
  const next = (match: (frame: RealtimeFrame) => boolean, what: string) =>
    new Promise<RealtimeFrame>((resolve, reject) => {
      const check = () => {
        const found = events.find(match)
        if (found === undefined) return false
        cleanup()
        resolve(found)
        return true
      }
      const deadline = setTimeout(() => {
        cleanup()
        reject(new Error(`no ${what} within ${EVENT_DEADLINE_MS} ms; got ${JSON.stringify(events)}`))
      }, EVENT_DEADLINE_MS)
      const wake = () => {
        check()
      }
      const cleanup = () => {
        clearTimeout(deadline)
        waiters.delete(wake)
      }
      waiters.add(wake)
      check()
    })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
    socket.once('unexpected-response', (_req, res) => reject(new Error(`/ws answered ${res.statusCode}`)))
  })
  await next((e) => e.type === 'hello', 'hello')
  let pongs = 0
  const sync = async () => {
    pongs += 1
    const wanted = pongs
    socket.send('ping')
    await next(() => events.filter((e) => e.type === 'pong').length >= wanted, 'pong')
  }
  return { socket, next, frames: () => [...events], sync, close: () => socket.close() }
}
