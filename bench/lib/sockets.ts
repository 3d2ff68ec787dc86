import { readFileSync } from 'node:fs'
import WebSocket from 'ws'
import type { Progress } from './progress.ts'
import { mapLimit, withTimeout } from './stats.ts'

const OPEN_CONCURRENCY = 50
const OPEN_TIMEOUT_MS = 15_000

export interface OpenSocket {
  socket: WebSocket
  /** Which user it belongs to (index into the caller's list), or -1. */
  owner: number
}

/**
 * Opens one WebSocket per entry of `owners` (each with that owner's cookie) and waits for the server's first
 * frame on each, so every socket is registered before the caller measures anything. No Origin header is
 * sent: the server accepts a missing Origin, as for native clients.
 */
export async function openSockets(
  progress: Progress,
  url: string,
  owners: readonly { owner: number; cookie: string }[],
  label: string,
): Promise<OpenSocket[]> {
  const bar = progress.bar(label, owners.length)
  const opened = await mapLimit(owners, OPEN_CONCURRENCY, async ({ owner, cookie }) => {
    const socket = new WebSocket(url, { headers: { cookie }, perMessageDeflate: false })
    socket.on('error', () => {})
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('message', () => resolve())
        socket.once('unexpected-response', (_req, res) =>
          reject(new Error(`upgrade refused with ${res.statusCode}`)),
        )
        socket.once('close', (code) => reject(new Error(`closed with ${code} before its first frame`)))
      }),
      OPEN_TIMEOUT_MS,
      'opening a WebSocket',
    ).catch((error: unknown) => {
      socket.terminate()
      throw error
    })
    bar.tick()
    return { socket, owner }
  })
  bar.done()
  return opened
}

/** Closes every socket and waits (bounded) until they are all closed. */
export async function closeSockets(sockets: readonly OpenSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(({ socket }) =>
      withTimeout(
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve()
          socket.once('close', () => resolve())
          socket.close()
        }),
        5000,
        'closing a WebSocket',
      ).catch(() => socket.terminate()),
    ),
  )
}

/** The soft limit on open files of this process (Linux), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'))
    const soft = line?.split(/\s{2,}/)[1]
    return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft)
  } catch {
    return undefined
  }
}

/** Fails early, with the fix, when `sockets` connections would exceed the open-file limit. */
export function checkFileLimit(sockets: number): string {
  const limit = openFileLimit()
  if (limit === undefined) return 'open-file limit unknown'
  // Each side holds one descriptor per socket; leave room for the database pool, listeners and stdio.
  if (limit < sockets + 256) {
    throw new Error(
      `the open-file limit (${limit}) is too low for ${sockets} sockets: raise it with ulimit -n ${sockets * 2}`,
    )
  }
  return `open-file limit ${limit === Number.POSITIVE_INFINITY ? 'unlimited' : limit}, enough for ${sockets} sockets`
}
