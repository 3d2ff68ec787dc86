import { isSurface } from '../../../lib/measurement-dimensions.ts'
import { createStore, useStore } from '../../../lib/web/store.ts'
import type { Surface, Title } from '../api/types.ts'
import { paths } from '../lib/router.tsx'

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

/**
 * Where "Connect with Tandem" from the dialog comes back to: this page (the title page instead of the
 * player, which would start playing again), asking it to reopen the dialog for the same title and surface.
 */
export function shareReturnPath(title: Title, surface: Surface): string {
  const onPlayer = location.pathname.startsWith('/watch/')
  const params = new URLSearchParams(onPlayer ? '' : location.search)
  params.delete('tandem')
  params.delete('reason')
  params.set('share', title.id)
  params.set('surface', surface)
  return `${onPlayer ? paths.title(title.id) : location.pathname}?${params}`
}

/** The title and surface a page was asked to reopen the share dialog for, if any. */
export function shareToResume(search: string): { titleId: string; surface: Surface } | null {
  const params = new URLSearchParams(search)
  const titleId = params.get('share')
  const surface = params.get('surface')
  return titleId && isSurface(surface) ? { titleId, surface } : null
}
