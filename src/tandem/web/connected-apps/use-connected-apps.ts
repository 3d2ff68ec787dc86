import { useCallback } from 'react'
import { api } from '../api/endpoints.ts'
import { useResource } from '../lib/use-resource.ts'

/** My connected and disconnected apps, as the server lists them. */
export function useConnectedApps() {
  const load = useCallback((signal: AbortSignal) => api.connectedApps(signal), [])
  return useResource(load)
}
