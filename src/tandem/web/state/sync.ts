import { RealtimeConnection, type RealtimeEvent } from '../lib/realtime.ts'
import { appStore } from './app-state.ts'
import { applyMessage, applyRead, loadInbox, refreshThread } from './inbox.ts'
import { loadSocial } from './social.ts'
import { emitThreadEvent } from './thread-events.ts'

let connection: RealtimeConnection | undefined

function handle(event: RealtimeEvent): void {
  switch (event.type) {
    case 'message.created':
      if (event.message) {
        applyMessage(event.message)
        emitThreadEvent({ type: 'message', message: event.message })
      } else {
        void refreshThread(event.threadId)
        emitThreadEvent({ type: 'resync' })
      }
      break
    case 'thread.read':
      applyRead(event.threadId, event.lastReadSeq)
      break
    case 'thread.created':
      void refreshThread(event.threadId)
      break
    case 'friends.changed':
      void loadSocial()
      break
    case 'connected':
      // Anything sent before the server registered this socket only shows up by asking again.
      void loadInbox()
      void loadSocial()
      emitThreadEvent({ type: 'resync' })
      break
  }
}

/** Loads the inbox and friends and keeps them live for the signed-in user. */
export function startSync(): void {
  connection ??= new RealtimeConnection(handle, (status) =>
    appStore.set((s) => (s.connection === status ? s : { ...s, connection: status })),
  )
  connection.start()
  void loadInbox()
  void loadSocial()
}

export function stopSync(): void {
  connection?.stop()
  connection = undefined
}
