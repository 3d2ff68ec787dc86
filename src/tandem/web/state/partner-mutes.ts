import { createStore, useStore } from '../../../lib/web/store.ts'
import { api } from '../api/endpoints.ts'

/**
 * Partners the user muted, by client id, so every message from a partner shows the same state at
 * once. Loaded from the server (GET /api/partners/mutes) when the session starts, so the switch shows
 * the real state after a reload; a mute or unmute done here updates it without asking again.
 */
const mutes = createStore<Readonly<Record<string, boolean>>>({})

/** What was muted or unmuted here while a load was on its way: the load must not undo it. */
let changedDuringLoad: Map<string, boolean> | null = null
let loadGeneration = 0

export const setPartnerMuted = (clientId: string, muted: boolean) => {
  changedDuringLoad?.set(clientId, muted)
  mutes.set((s) => (s[clientId] === muted ? s : { ...s, [clientId]: muted }))
}

export const usePartnerMuted = (clientId: string): boolean => useStore(mutes, (s) => s[clientId] === true)

/** Reads the server's list of muted partners; failures leave the switch as it is (unmuted). */
export async function loadPartnerMutes(): Promise<void> {
  const generation = ++loadGeneration
  const changed = new Map<string, boolean>()
  changedDuringLoad = changed
  try {
    const { mutes: list } = await api.partnerMutes()
    if (generation !== loadGeneration) return
    const next: Record<string, boolean> = {}
    for (const m of list) next[m.clientId] = true
    for (const [clientId, muted] of changed) next[clientId] = muted
    mutes.set(() => next)
  } catch {
    // Not fatal: the controls still work, and the next session start asks again.
  } finally {
    if (generation === loadGeneration) changedDuringLoad = null
  }
}

/** On sign-out: the next user starts from their own list. */
export function clearPartnerMutes(): void {
  loadGeneration++
  changedDuringLoad = null
  mutes.set(() => ({}))
}
