import { createSession } from '../../../lib/web/session.ts'
import { api } from '../api/endpoints.ts'
import { setUnauthenticatedHandler } from '../api/http.ts'
import { paths } from '../lib/router.tsx'
import { appStore, emptyInbox, emptySocial } from './app-state.ts'
import { clearPartnerMutes, loadPartnerMutes } from './partner-mutes.ts'
import { startSync, stopSync } from './sync.ts'

export const { signedIn, updateMe, bootSession, logOut } = createSession({
  api,
  setUnauthenticatedHandler,
  store: appStore,
  loginPath: paths.login,
  onSignedIn() {
    startSync()
    void loadPartnerMutes()
  },
  onSignedOut() {
    stopSync()
    clearPartnerMutes()
    appStore.set((s) => ({ ...s, inbox: emptyInbox, social: emptySocial, viewingThreadId: null }))
  },
})
