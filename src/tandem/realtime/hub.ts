import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { WebSocket } from 'ws'
import { AppError } from '../../lib/errors.ts'
import type { Metrics } from '../../lib/http/metrics.ts'
import { loadActor } from '../accounts/session.ts'
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
    for (const set of this.#sockets.values())
      for (const socket of set) socket.close(1001, 'server shutting down')
    this.#sockets.clear()
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

export function registerRealtimeRoutes(app: FastifyInstance, ctx: TandemContext, hub: RealtimeHub): void {
  app.get(
    '/ws',
    {
      websocket: true,
      schema: { summary: 'Realtime events for the logged-in user (WebSocket)', tags: ['realtime'] },
      // Browsers do not apply CORS to WebSockets: refuse foreign origins here (cross-site WebSocket hijacking).
      preValidation: async (req) => {
        const origin = req.headers.origin
        if (origin && origin !== ctx.config.publicOrigin && origin !== `${req.protocol}://${req.host}`) {
          throw new AppError(403, 'cross_site_request', 'requests from other sites are refused')
        }
        if (!(await loadActor(ctx, req))) throw new AppError(401, 'unauthenticated', 'log in first')
      },
    },
    (socket, req) => {
      hub.add(req.actor!.userId, socket)
      socket.send(JSON.stringify({ type: 'hello', userId: req.actor!.userId }))
    },
  )
}
