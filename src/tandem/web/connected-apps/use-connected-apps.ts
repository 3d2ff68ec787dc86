import { useCallback } from 'react'
import { useResource } from '../../../lib/web/use-resource.ts'
import { api } from '../api/endpoints.ts'

/** My connected and disconnected apps, as the server lists them. */
export function useConnectedApps() {
  const load = useCallback((signal: AbortSignal) => api.connectedApps(signal), [])
  return useResource(load)
}
