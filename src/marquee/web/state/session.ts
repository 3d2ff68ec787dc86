import { createStore, useStore } from '../../../lib/web/store.ts'
import { api } from '../api/endpoints.ts'
import { ApiError, setUnauthenticatedHandler } from '../api/http.ts'
import type { Me } from '../api/types.ts'
import { navigate, paths } from '../lib/router.tsx'

export type Session = { status: 'loading' } | { status: 'anonymous' } | { status: 'signed-in'; me: Me }

export const sessionStore = createStore<{ session: Session; experiments: Record<string, string> | null }>({
  session: { status: 'loading' },
  experiments: null,
})

export const useSession = () => useStore(sessionStore, (s) => s.session)

function signedOut(): void {
  sessionStore.set(() => ({ session: { status: 'anonymous' }, experiments: null }))
}

export function signedIn(me: Me): void {
  sessionStore.set((s) => ({ ...s, session: { status: 'signed-in', me } }))
}

export function updateMe(me: Me): void {
  sessionStore.set((s) =>
    s.session.status === 'signed-in' ? { ...s, session: { status: 'signed-in', me } } : s,
  )
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

/** The viewer's A/B arms, asked once per session; `classic` when the server cannot say. */
export async function shareDialogVariant(): Promise<string> {
  let experiments = sessionStore.get().experiments
  if (!experiments) {
    try {
      experiments = (await api.experiments()).assignments
      const loaded = experiments
      sessionStore.set((s) => ({ ...s, experiments: loaded }))
    } catch {
      return 'classic'
    }
  }
  return experiments.share_dialog ?? 'classic'
}
