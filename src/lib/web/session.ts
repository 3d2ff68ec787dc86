import { ApiError } from './api-client.ts'
import { navigate } from './router.tsx'
import type { Store } from './store.ts'

export type Session<Me> = { status: 'loading' } | { status: 'anonymous' } | { status: 'signed-in'; me: Me }

export interface SessionOptions<Me, S extends { session: Session<Me> }> {
  /** The product's own session calls. */
  api: { me(): Promise<{ user: Me }>; logOut(): Promise<unknown> }
  setUnauthenticatedHandler(handler: () => void): void
  /** The product's store, which keeps the session under `session`. */
  store: Store<S>
  /** Where logging out lands. */
  loginPath: string
  /** Starts what runs for a signed-in user. */
  onSignedIn?(me: Me): void
  /** Stops it and forgets the user's data, before the session reads anonymous. */
  onSignedOut?(): void
}

/** Who is logged in, for one client: asked at boot, changed on log in and log out, lost on any 401. */
export function createSession<Me, S extends { session: Session<Me> }>(options: SessionOptions<Me, S>) {
  const write = (session: Session<Me>) => options.store.set((s) => ({ ...s, session }))

  function signedOut(): void {
    options.onSignedOut?.()
    write({ status: 'anonymous' })
  }

  function signedIn(me: Me): void {
    write({ status: 'signed-in', me })
    options.onSignedIn?.(me)
  }

  function updateMe(me: Me): void {
    if (options.store.get().session.status === 'signed-in') write({ status: 'signed-in', me })
  }

  /** Asks the server who is logged in, retrying while it cannot be reached. */
  async function bootSession(): Promise<void> {
    options.setUnauthenticatedHandler(signedOut)
    for (let attempt = 0; ; attempt++) {
      try {
        const { user } = await options.api.me()
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

  async function logOut(): Promise<void> {
    try {
      await options.api.logOut()
    } finally {
      signedOut()
      navigate(options.loginPath, { replace: true })
    }
  }

  return { signedIn, updateMe, bootSession, logOut }
}
