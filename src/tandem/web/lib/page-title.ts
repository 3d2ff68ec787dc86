import { useEffect } from 'react'
import { appStore } from '../state/app-state.ts'

/** Names the current screen in the tab title; the app adds the unread count in front. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    appStore.set((s) => (s.pageTitle === title ? s : { ...s, pageTitle: title }))
  }, [title])
}
