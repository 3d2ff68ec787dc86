import type { Session } from '../../../lib/web/session.ts'
import { createStore, useStore } from '../../../lib/web/store.ts'
import type { Friend, FriendRequest, Me, Thread } from '../api/types.ts'
import type { ConnectionStatus } from '../lib/realtime.ts'

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error'

export interface InboxState {
  threads: Thread[]
  nextCursor: string | null
  status: LoadStatus
  error: string | null
  loadingMore: boolean
}

export interface SocialState {
  friends: Friend[]
  incoming: FriendRequest[]
  outgoing: FriendRequest[]
  blocks: Friend[]
  status: LoadStatus
  error: string | null
}

export interface AppState {
  session: Session<Me>
  inbox: InboxState
  social: SocialState
  connection: ConnectionStatus
  /** The thread on screen, whose new messages count as read while the page is visible. */
  viewingThreadId: string | null
  /** What the current screen calls itself in the tab title. */
  pageTitle: string
}

export const emptyInbox: InboxState = {
  threads: [],
  nextCursor: null,
  status: 'idle',
  error: null,
  loadingMore: false,
}
export const emptySocial: SocialState = {
  friends: [],
  incoming: [],
  outgoing: [],
  blocks: [],
  status: 'idle',
  error: null,
}

export const appStore = createStore<AppState>({
  session: { status: 'loading' },
  inbox: emptyInbox,
  social: emptySocial,
  connection: 'connecting',
  viewingThreadId: null,
  pageTitle: '',
})

export const useApp = <T>(select: (state: AppState) => T): T => useStore(appStore, select)

export const currentUser = (): Me | undefined => {
  const session = appStore.get().session
  return session.status === 'signed-in' ? session.me : undefined
}

export function useMe(): Me {
  const session = useApp((s) => s.session)
  if (session.status !== 'signed-in') throw new Error('useMe needs a signed-in session')
  return session.me
}

export const totalUnread = (threads: Thread[]) => threads.reduce((sum, t) => sum + t.unreadCount, 0)
