import { createStore, useStore } from './store.ts'

/**
 * Partners the user muted or unmuted in this session, by client id, so every message from a partner
 * shows the same state at once. The server keeps the real list; this only mirrors what was done here.
 */
const mutes = createStore<Readonly<Record<string, boolean>>>({})

export const setPartnerMuted = (clientId: string, muted: boolean) =>
  mutes.set((s) => (s[clientId] === muted ? s : { ...s, [clientId]: muted }))

export const usePartnerMuted = (clientId: string): boolean => useStore(mutes, (s) => s[clientId] === true)
