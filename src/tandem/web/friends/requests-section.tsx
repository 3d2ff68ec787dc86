import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { shortTime } from '../lib/format.ts'
import { useAction } from '../lib/use-action.ts'
import { useApp } from '../state/app-state.ts'
import { changeSocial } from '../state/social.ts'
import { PersonRow } from './person-row.tsx'

export function RequestsSection() {
  const incoming = useApp((s) => s.social.incoming)
  const outgoing = useApp((s) => s.social.outgoing)
  const { busy, error, run } = useAction()
  if (incoming.length === 0 && outgoing.length === 0) return null
  return (
    <>
      {incoming.length > 0 && (
        <section aria-labelledby="incoming-heading" className="card-section">
          <h2 id="incoming-heading">Friend requests</h2>
          <ul className="people" data-testid="incoming-requests">
            {incoming.map((r) => (
              <PersonRow
                key={r.id}
                user={r.user}
                detail={`asked ${shortTime(r.createdAt)}`}
                testId="incoming-request"
              >
                <button
                  type="button"
                  className="button button-primary button-small"
                  disabled={busy === r.id}
                  aria-label={`Accept ${r.user.displayName}`}
                  onClick={() => void run(r.id, () => changeSocial(() => api.acceptRequest(r.id)))}
                >
                  Accept
                </button>
                <button
                  type="button"
                  className="button button-small"
                  disabled={busy === r.id}
                  aria-label={`Decline ${r.user.displayName}`}
                  onClick={() => void run(r.id, () => changeSocial(() => api.declineRequest(r.id)))}
                >
                  Decline
                </button>
              </PersonRow>
            ))}
          </ul>
        </section>
      )}
      {outgoing.length > 0 && (
        <section aria-labelledby="outgoing-heading" className="card-section">
          <h2 id="outgoing-heading">Waiting for an answer</h2>
          <ul className="people" data-testid="outgoing-requests">
            {outgoing.map((r) => (
              <PersonRow
                key={r.id}
                user={r.user}
                detail={`sent ${shortTime(r.createdAt)}`}
                testId="outgoing-request"
              >
                <button
                  type="button"
                  className="button button-small"
                  disabled={busy === r.id}
                  aria-label={`Withdraw request to ${r.user.displayName}`}
                  onClick={() => void run(r.id, () => changeSocial(() => api.withdrawRequest(r.id)))}
                >
                  Withdraw
                </button>
              </PersonRow>
            ))}
          </ul>
        </section>
      )}
      {error && <Notice tone="error">{error}</Notice>}
    </>
  )
}
