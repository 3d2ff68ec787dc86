import { useApp } from '../state/app-state.ts'

/** Says so when live updates are off; the connection retries on its own. */
export function ConnectionBanner() {
  const connection = useApp((s) => s.connection)
  return (
    <div className="connection-banner" role="status" data-testid="connection-status" data-state={connection}>
      {connection === 'offline'
        ? 'Offline: reconnecting… new messages will appear when you are back online.'
        : ''}
    </div>
  )
}
