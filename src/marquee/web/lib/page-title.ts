import { useEffect } from 'react'

/** Names the current screen in the tab title. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Marquee` : 'Marquee'
  }, [title])
}
