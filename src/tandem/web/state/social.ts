import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import { appStore, type SocialState } from './app-state.ts'

const setSocial = (update: (social: SocialState) => SocialState) =>
  appStore.set((s) => ({ ...s, social: update(s.social) }))

let generation = 0

export async function loadSocial(): Promise<void> {
  // Only the latest load may write: an earlier one can answer last with an older picture.
  const mine = ++generation
  setSocial((social) => ({ ...social, status: social.status === 'ready' ? 'ready' : 'loading' }))
  try {
    const [{ friends }, { incoming, outgoing }, { blocks }] = await Promise.all([
      api.friends(),
      api.requests(),
      api.blocks(),
    ])
    if (mine === generation)
      setSocial(() => ({ friends, incoming, outgoing, blocks, status: 'ready', error: null }))
  } catch (error) {
    if (mine !== generation) return
    setSocial((social) => ({
      ...social,
      status: social.status === 'ready' ? 'ready' : 'error',
      error: describeError(error),
    }))
  }
}

/** Runs a change, then reloads friends, requests and blocks whether it worked or not. */
export async function changeSocial<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change()
  } finally {
    void loadSocial()
  }
}
