import { createSession, type Session } from '../../../lib/web/session.ts'
import { createStore, useStore } from '../../../lib/web/store.ts'
import { api } from '../api/endpoints.ts'
import { setUnauthenticatedHandler } from '../api/http.ts'
import type { Me } from '../api/types.ts'
import { paths } from '../lib/router.tsx'

export const sessionStore = createStore<{ session: Session<Me>; experiments: Record<string, string> | null }>(
  {
    session: { status: 'loading' },
    experiments: null,
  },
)

export const useSession = () => useStore(sessionStore, (s) => s.session)

export const { signedIn, updateMe, bootSession, logOut } = createSession({
  api,
  setUnauthenticatedHandler,
  store: sessionStore,
  loginPath: paths.login,
  onSignedOut: () => sessionStore.set((s) => ({ ...s, experiments: null })),
})

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
