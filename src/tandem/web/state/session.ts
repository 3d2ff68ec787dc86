import { api } from '../api/endpoints.ts'
import { ApiError, setUnauthenticatedHandler } from '../api/http.ts'
import type { Me } from '../api/types.ts'
import { navigate, paths } from '../lib/router.tsx'
import { appStore, emptyInbox, emptySocial } from './app-state.ts'
import { clearPartnerMutes, loadPartnerMutes } from './partner-mutes.ts'
import { startSync, stopSync } from './sync.ts'

function signedOut(): void {
  stopSync()
  clearPartnerMutes()
  appStore.set((s) => ({
    ...s,
    session: { status: 'anonymous' },
    inbox: emptyInbox,
    social: emptySocial,
    viewingThreadId: null,
  }))
}

export function signedIn(me: Me): void {
  appStore.set((s) => ({ ...s, session: { status: 'signed-in', me } }))
  startSync()
  void loadPartnerMutes()
}

export function updateMe(me: Me): void {
  appStore.set((s) => (s.session.status === 'signed-in' ? { ...s, session: { status: 'signed-in', me } } : s))
}

/** Asks the server who is logged in, retrying while it cannot be reached. */
export async function bootSession(): Promise<void> {
  setUnauthenticatedHandler(signedOut)
  for (let attempt = 0; ; attempt++) {
    try {
      const { user } = await api.me()
      signedIn(user)
      return
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        signedOut()
        return
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** attempt)))
    }
  }
}

export async function logOut(): Promise<void> {
  try {
    await api.logOut()
  } finally {
    signedOut()
    navigate(paths.login, { replace: true })
  }
}
