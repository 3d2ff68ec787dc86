import { once } from 'node:events'
import WebSocket from 'ws'
import { withTimeout } from './stats.ts'

export interface Inspector {
  call<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>
  close(): void
}

/** A client for the V8 inspector protocol of a child started with --inspect (its URL is on the child's stderr). */
export async function openInspector(url: string): Promise<Inspector> {
  const socket = new WebSocket(url, { perMessageDeflate: false })
  await withTimeout(once(socket, 'open'), 10_000, 'connecting to the inspector')
  let nextId = 0
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as {
      id?: number
      result?: unknown
      error?: { message: string }
    }
    const pending = message.id === undefined ? undefined : waiting.get(message.id)
    if (!pending) return
    waiting.delete(message.id!)
    if (message.error) pending.reject(new Error(message.error.message))
    else pending.resolve(message.result)
  })
  return {
    call<T>(method: string, params: Record<string, unknown> = {}) {
      const id = ++nextId
      const answer = new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (value: unknown) => void, reject })
      })
      socket.send(JSON.stringify({ id, method, params }))
      return withTimeout(answer, 30_000, method)
    },
    close: () => socket.close(),
  }
}

export const inspectorUrlOf = (output: string): string => {
  const url = output.match(/Debugger listening on (ws:\/\/\S+)/)?.[1]
  if (!url) throw new Error('the child printed no inspector URL')
  return url
}

/** Forces a full garbage collection in the inspected process, then reads its process.memoryUsage(). */
export async function memoryAfterGc(inspector: Inspector): Promise<{ rss: number; heapUsed: number }> {
  await inspector.call('HeapProfiler.collectGarbage')
  const { result } = await inspector.call<{ result: { value: string } }>('Runtime.evaluate', {
    expression: 'JSON.stringify(process.memoryUsage())',
    returnByValue: true,
  })
  return JSON.parse(result.value) as { rss: number; heapUsed: number }
}
