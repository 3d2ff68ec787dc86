import { useCallback, useEffect, useRef, useState } from 'react'
import { describeError } from './api-client.ts'

export interface Resource<T> {
  /** `loading` only before the first answer; a reload keeps the last data on screen. */
  status: 'loading' | 'ready' | 'error'
  data: T | undefined
  error: string | null
  reload: () => Promise<void>
  /** Replaces the data locally (after an action whose answer already says what changed). */
  mutate: (update: (data: T) => T) => void
}

/**
 * Loads data for a screen and reloads it on demand. `load` must be stable (useCallback); a newer
 * load aborts an older one, so a slow answer never overwrites a fresher one.
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>): Resource<T> {
  const [state, setState] = useState<{
    status: Resource<T>['status']
    data: T | undefined
    error: string | null
  }>({
    status: 'loading',
    data: undefined,
    error: null,
  })
  const inFlight = useRef<AbortController | null>(null)
  const reload = useCallback(async () => {
    inFlight.current?.abort()
    const controller = new AbortController()
    inFlight.current = controller
    try {
      const data = await load(controller.signal)
      if (!controller.signal.aborted) setState({ status: 'ready', data, error: null })
    } catch (error) {
      if (controller.signal.aborted) return
      setState((s) => ({
        status: s.data === undefined ? 'error' : 'ready',
        data: s.data,
        error: describeError(error),
      }))
    }
  }, [load])
  useEffect(() => {
    setState((s) => (s.status === 'loading' ? s : { status: 'loading', data: undefined, error: null }))
    void reload()
    return () => inFlight.current?.abort()
  }, [reload])
  const mutate = useCallback((update: (data: T) => T) => {
    setState((s) => (s.data === undefined ? s : { ...s, data: update(s.data) }))
  }, [])
  return { ...state, reload, mutate }
}
