import { useSyncExternalStore } from 'react'
import { INTERFACES, type Interface, isInterface } from '../../../lib/measurement-dimensions.ts'
import { createStore, useStore } from '../../../lib/web/store.ts'

export { INTERFACES, type Interface }

const STORAGE_KEY = 'marquee.interface'
const MOBILE_QUERY = '(max-width: 640px)'
const TV_QUERY = '(min-width: 1920px)'

export const interfaceLabels: Record<Interface, string> = {
  web: 'Web',
  tv: 'TV',
  mobile: 'Mobile',
}

function readStored(): Interface | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY)
    return isInterface(value) ? value : null
  } catch {
    return null
  }
}

/** `?interface=` wins once and is remembered; the parameter is then dropped from the address. */
function readFromUrl(): Interface | null {
  const url = new URL(location.href)
  const value = url.searchParams.get('interface')
  if (value === null) return null
  url.searchParams.delete('interface')
  history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`)
  if (!isInterface(value)) return null
  try {
    localStorage.setItem(STORAGE_KEY, value)
  } catch {
    // Private mode without storage: the choice lasts for this page only.
  }
  return value
}

const chosen = createStore<{ choice: Interface | null }>({ choice: readFromUrl() ?? readStored() })

/** The interface a screen of this width gets when nobody chose one. */
export function interfaceForScreen(): Interface {
  if (window.matchMedia(MOBILE_QUERY).matches) return 'mobile'
  if (window.matchMedia(TV_QUERY).matches) return 'tv'
  return 'web'
}

function subscribeWidth(listener: () => void) {
  const lists = [window.matchMedia(MOBILE_QUERY), window.matchMedia(TV_QUERY)]
  for (const list of lists) list.addEventListener('change', listener)
  return () => {
    for (const list of lists) list.removeEventListener('change', listener)
  }
}

/** The chosen interface, or `null` to follow the screen width. */
export function useInterfaceChoice(): Interface | null {
  return useStore(chosen, (s) => s.choice)
}

/** The interface in use: the one chosen in settings or by `?interface=`, else the screen's default. */
export function useInterface(): Interface {
  const choice = useInterfaceChoice()
  const byWidth = useSyncExternalStore(subscribeWidth, interfaceForScreen)
  return choice ?? byWidth
}

/** The interface in use right now, outside React (sent with every share). */
export function currentInterface(): Interface {
  return chosen.get().choice ?? interfaceForScreen()
}

export function chooseInterface(choice: Interface | null): void {
  try {
    if (choice) localStorage.setItem(STORAGE_KEY, choice)
    else localStorage.removeItem(STORAGE_KEY)
  } catch {
    // Storage unavailable: keep the choice in memory.
  }
  chosen.set(() => ({ choice }))
}
