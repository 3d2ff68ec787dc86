import type { Message } from '../api/types.ts'

/** What an open conversation hears from the realtime connection. */
export type ThreadEvent = { type: 'message'; message: Message } | { type: 'resync' }

const listeners = new Set<(event: ThreadEvent) => void>()

export function onThreadEvent(listener: (event: ThreadEvent) => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function emitThreadEvent(event: ThreadEvent): void {
  for (const listener of listeners) listener(event)
}
