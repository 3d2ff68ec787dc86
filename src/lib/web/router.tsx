import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react'

// The page is the browser's URL: each client matches its own routes on `usePathname()`.
const listeners = new Set<() => void>()
const notify = () => {
  for (const listener of listeners) listener()
}
window.addEventListener('popstate', notify)

function subscribe(listener: () => void) {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function navigate(to: string, options: { replace?: boolean; keepScroll?: boolean } = {}): void {
  if (to === `${location.pathname}${location.search}`) return
  if (options.replace) history.replaceState(null, '', to)
  else history.pushState(null, '', to)
  if (!options.keepScroll) window.scrollTo(0, 0)
  notify()
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => location.pathname)
}

export function useSearch(): string {
  return useSyncExternalStore(subscribe, () => location.search)
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string }

/** An ordinary link that changes page without reloading; modified clicks keep the browser's behaviour. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event)
    if (event.defaultPrevented || event.button !== 0) return
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    navigate(to)
  }
  return <a href={to} onClick={handle} {...rest} />
}

/** A `?next=` path on this site to go to after logging in (the landing page of a shared link sets it). */
export function nextPath(search: string): string | null {
  const next = new URLSearchParams(search).get('next')
  const safe = next?.startsWith('/') && !next.startsWith('//') && !next.includes('\\') && next.length <= 500
  return safe ? next : null
}
