import type { Surface, Title } from '../api/types.ts'
import { createStore, useStore } from '../lib/store.ts'

export interface ShareRequestState {
  title: Title
  surface: Surface
  /** Bumped at every open, so reopening the same title starts a fresh dialog. */
  key: number
}

const store = createStore<{ open: ShareRequestState | null }>({ open: null })
let opened = 0

/** Opens the one share dialog of the app for a title, remembering where the share began. */
export function openShare(title: Title, surface: Surface): void {
  opened += 1
  store.set(() => ({ open: { title, surface, key: opened } }))
}

export function closeShare(): void {
  store.set((s) => (s.open ? { open: null } : s))
}

export const useShareRequest = () => useStore(store, (s) => s.open)
