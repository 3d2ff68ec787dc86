import { type IncomingMessage, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { type WebSocket, WebSocketServer } from 'ws'
import { AppError } from '../../lib/errors.ts'
import type { Metrics } from '../../lib/http/metrics.ts'
import { actorOfToken, SESSION_COOKIE } from '../accounts/session.ts'
import type { TandemContext } from '../context.ts'
import { loadPresentedMessage } from '../messaging/messaging.service.ts'
import { EVENTS_CHANNEL, type RealtimeEvent } from './events.ts'

const HEARTBEAT_MS = 30_000

/**
 * Fan-out of committed events to the open sockets of this process. Every instance LISTENs on the
 * same channel, so a message sent through one instance reaches sockets held by any other.
 */
export class RealtimeHub {
  #sockets = new Map<string, Set<WebSocket>>()
  #alive = new WeakSet<WebSocket>()
  #heartbeat: NodeJS.Timeout | undefined
  #unlisten: (() => Promise<void>) | undefined
  #ctx: TandemContext
  #log: Logger | undefined
  #gauge

  constructor(ctx: TandemContext, metrics: Metrics, log?: Logger) {
    this.#ctx = ctx
    this.#log = log
    this.#gauge = metrics.gauge('websocket_connections', 'Open WebSocket connections')
  }

  async start(): Promise<void> {
    this.#unlisten = await this.#ctx.database.listen(EVENTS_CHANNEL, (payload) => {
      void this.#deliver(payload)
    })
    this.#heartbeat = setInterval(() => this.#sweep(), HEARTBEAT_MS)
    this.#heartbeat.unref()
  }

  async stop(): Promise<void> {
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    await this.#unlisten?.()
    await this.closeSockets()
  }

  /** Says goodbye to every socket (1001), and cuts those that have not closed within `graceMs`. */
  async closeSockets(graceMs = 1000): Promise<void> {
    const open = [...this.#sockets.values()].flatMap((set) => [...set])
    this.#sockets.clear()
    if (open.length === 0) return
    await new Promise<void>((resolve) => {
      let left = open.length
      const timer = setTimeout(() => {
        for (const socket of open) socket.terminate()
        resolve()
      }, graceMs)
      for (const socket of open) {
        socket.once('close', () => {
          left -= 1
          if (left === 0) {
            clearTimeout(timer)
            resolve()
          }
        })
        socket.close(1001, 'server shutting down')
      }
    })
  }

  get connections(): number {
    let n = 0
    for (const set of this.#sockets.values()) n += set.size
    return n
  }

  add(userId: string, socket: WebSocket): void {
    let set = this.#sockets.get(userId)
    if (!set) {
      set = new Set()
      this.#sockets.set(userId, set)
    }
    set.add(socket)
    this.#alive.add(socket)
    this.#gauge.inc()
    socket.on('pong', () => this.#alive.add(socket))
    socket.on('close', () => {
      set.delete(socket)
      if (set.size === 0) this.#sockets.delete(userId)
      this.#gauge.dec()
    })
    // A protocol error (a frame over the size limit, a bad frame): `ws` has already closed the socket with its code.
    socket.on('error', (error) => {
      this.#log?.debug({ err: error }, 'websocket error')
      socket.terminate()
    })
    socket.on('message', (data) => {
      // The only client message is an application-level ping, for clients that cannot see protocol pings.
      if (data.toString() === 'ping') socket.send('{"type":"pong"}')
    })
  }

  async #deliver(payload: string): Promise<void> {
    let event: RealtimeEvent
    try {
      event = JSON.parse(payload) as RealtimeEvent
    } catch {
      this.#log?.warn('unreadable realtime payload')
      return
    }
    const targets = event.to.filter((id) => this.#sockets.has(id))
    if (targets.length === 0) return
    if (event.type === 'message.created' && !event.message) {
      event.message = await loadPresentedMessage(this.#ctx.db, this.#ctx.config.publicOrigin, event.messageId)
      if (!event.message) return
    }
    const { to: _to, ...visible } = event
    const frame = JSON.stringify(visible)
    for (const userId of targets) {
      for (const socket of this.#sockets.get(userId) ?? []) {
        if (socket.readyState === socket.OPEN) socket.send(frame)
      }
    }
  }

  #sweep(): void {
    for (const set of this.#sockets.values()) {
      for (const socket of set) {
        if (!this.#alive.has(socket)) {
          socket.terminate()
          continue
        }
        this.#alive.delete(socket)
        socket.ping()
      }
    }
  }
}

/**
 * GET /ws upgrades to a socket of realtime events for the signed-in user. The upgrade is taken from
 * the HTTP server before Fastify routes it: a socket then holds only the `ws` connection, not the
 * request and reply objects of the handshake for its whole life (an idle socket's memory is the
 * point, with thousands open). A plain GET, not an upgrade, is answered 426 by the documented route.
 */
export function registerRealtimeRoutes(app: FastifyInstance, ctx: TandemContext, hub: RealtimeHub): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, clientTracking: false })
  const trustProxy = ctx.config.env === 'production'

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
      return refuse(socket, new AppError(404, 'not_found', 'no WebSocket here'))
    }
    socket.on('error', ignore)
    try {
      // Browsers do not apply CORS to WebSockets: refuse foreign origins (cross-site WebSocket hijacking).
      const origin = req.headers.origin
      if (origin && origin !== ctx.config.publicOrigin && origin !== ownOrigin(req, trustProxy)) {
        return refuse(
          socket,
          new AppError(403, 'cross_site_request', 'requests from other sites are refused'),
        )
      }
      const actor = await actorOfToken(ctx, app.parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE])
      if (!actor) return refuse(socket, new AppError(401, 'unauthenticated', 'log in first'))
      if (socket.destroyed) return
      socket.off('error', ignore)
      wss.handleUpgrade(req, socket, head, (ws) => {
        hub.add(actor.userId, ws)
        ws.send(JSON.stringify({ type: 'hello', userId: actor.userId }))
      })
    } catch (error) {
      ctx.log?.error({ err: error }, 'websocket upgrade failed')
      refuse(socket, new AppError(503, 'unavailable', 'try again shortly'))
    }
  }
  const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void onUpgrade(req, socket, head)
  app.server.on('upgrade', listener)
  // Before the HTTP server closes: it waits for every connection, and upgraded ones never end by themselves.
  app.addHook('preClose', async () => {
    app.server.off('upgrade', listener)
    await hub.closeSockets()
  })

  app.get(
    '/ws',
    {
      schema: {
        summary: 'Realtime events for the logged-in user (WebSocket upgrade; a plain GET answers 426)',
        tags: ['realtime'],
      },
    },
    async () => {
      throw new AppError(426, 'upgrade_required', 'open this URL as a WebSocket', undefined, {
        upgrade: 'websocket',
      })
    },
  )
}

const ignore = () => {}

/** The origin this request was addressed to, as a browser on this site would send it. */
function ownOrigin(req: IncomingMessage, trustProxy: boolean): string {
  const first = (value: string | string[] | undefined) =>
    (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim()
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true
  const proto = (trustProxy && first(req.headers['x-forwarded-proto'])) || (encrypted ? 'https' : 'http')
  const host = (trustProxy && first(req.headers['x-forwarded-host'])) || req.headers.host
  return `${proto}://${host}`
}

/** Answers a refused upgrade in the API's error shape, then closes the connection. */
function refuse(socket: Duplex, error: AppError): void {
  if (socket.destroyed) return
  const body = JSON.stringify({ error: { code: error.code, message: error.message } })
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  )
}
