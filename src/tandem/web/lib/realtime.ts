import type { RealtimeFrame } from '../api/types.ts'

export type ConnectionStatus = 'connecting' | 'open' | 'offline'

/** Frames from the server, and `connected` each time the server has registered this socket. */
export type RealtimeEvent =
  | Exclude<RealtimeFrame, { type: 'hello' } | { type: 'pong' }>
  | { type: 'connected' }

const MAX_BACKOFF_MS = 30_000
const PING_EVERY_MS = 25_000
const PONG_WITHIN_MS = 10_000

/**
 * The realtime socket of the logged-in user. It reconnects with jittered exponential backoff when it
 * drops, and announces `connected` once the server says hello, so views fetch what they may have
 * missed before: only events after the hello are sure to arrive.
 */
export class RealtimeConnection {
  #url: string
  #socket: WebSocket | undefined
  #attempt = 0
  #stopped = true
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  #pingTimer: ReturnType<typeof setInterval> | undefined
  #pongTimer: ReturnType<typeof setTimeout> | undefined
  #onEvent: (event: RealtimeEvent) => void
  #onStatus: (status: ConnectionStatus) => void

  constructor(
    onEvent: (event: RealtimeEvent) => void,
    onStatus: (status: ConnectionStatus) => void,
    url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
  ) {
    this.#url = url
    this.#onEvent = onEvent
    this.#onStatus = onStatus
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    window.addEventListener('online', this.#reconnectNow)
    this.#connect()
  }

  stop(): void {
    this.#stopped = true
    window.removeEventListener('online', this.#reconnectNow)
    clearTimeout(this.#retryTimer)
    this.#stopHeartbeat()
    const socket = this.#socket
    this.#socket = undefined
    socket?.close(1000, 'logged out')
  }

  #connect(): void {
    this.#onStatus('connecting')
    const socket = new WebSocket(this.#url)
    this.#socket = socket
    socket.addEventListener('open', () => {
      if (socket !== this.#socket) return
      this.#attempt = 0
      this.#startHeartbeat(socket)
    })
    socket.addEventListener('message', (event) => {
      if (socket !== this.#socket || typeof event.data !== 'string') return
      let frame: RealtimeFrame
      try {
        frame = JSON.parse(event.data) as RealtimeFrame
      } catch {
        return
      }
      if (frame.type === 'pong') clearTimeout(this.#pongTimer)
      else if (frame.type === 'hello') {
        this.#onStatus('open')
        this.#onEvent({ type: 'connected' })
      } else this.#onEvent(frame)
    })
    socket.addEventListener('close', () => this.#drop(socket))
  }

  #drop(socket: WebSocket): void {
    if (socket !== this.#socket) return
    this.#stopHeartbeat()
    this.#socket = undefined
    if (socket.readyState !== WebSocket.CLOSED) socket.close()
    if (this.#stopped) return
    this.#onStatus('offline')
    this.#scheduleRetry()
  }

  #scheduleRetry(): void {
    const ceiling = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.#attempt)
    this.#attempt += 1
    this.#retryTimer = setTimeout(() => this.#connect(), ceiling / 2 + Math.random() * (ceiling / 2))
  }

  #reconnectNow = () => {
    if (this.#stopped || this.#socket) return
    clearTimeout(this.#retryTimer)
    this.#attempt = 0
    this.#connect()
  }

  // Browsers answer protocol pings but never tell the page; an application ping finds dead connections.
  #startHeartbeat(socket: WebSocket): void {
    this.#pingTimer = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return
      socket.send('ping')
      clearTimeout(this.#pongTimer)
      this.#pongTimer = setTimeout(() => this.#drop(socket), PONG_WITHIN_MS)
    }, PING_EVERY_MS)
  }

  #stopHeartbeat(): void {
    clearInterval(this.#pingTimer)
    clearTimeout(this.#pongTimer)
  }
}
