import { useEffect, useRef, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'

interface RevokeSectionProps {
  clientId: string
  appName: string
  /** Called after the revocation went through, with the date the deletion receipt is due. */
  onRevoked: (dueAt: string | null) => void
}

/** Revoke, with a confirm step that says what happens next. */
export function RevokeSection({ clientId, appName, onRevoked }: RevokeSectionProps) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const heading = useRef<HTMLHeadingElement>(null)
  const opener = useRef<HTMLButtonElement>(null)
  const wasConfirming = useRef(false)

  useEffect(() => {
    if (confirming) heading.current?.focus()
    else if (wasConfirming.current) opener.current?.focus()
    wasConfirming.current = confirming
  }, [confirming])

  async function revoke() {
    setBusy(true)
    setError(null)
    try {
      const { disconnected } = await api.disconnectApp(clientId)
      onRevoked(disconnected.deletionRequests[0]?.dueAt ?? null)
    } catch (failure) {
      setError(describeError(failure))
      setBusy(false)
    }
  }

  return (
    <section className="card-section" aria-labelledby="revoke-heading">
      <h2 id="revoke-heading">Revoke access</h2>
      {!confirming ? (
        <>
          <p className="muted">
            Stop {appName} from doing anything more for you. You can connect it again later.
          </p>
          <button
            ref={opener}
            type="button"
            className="button button-quiet-danger"
            onClick={() => setConfirming(true)}
            data-testid="revoke"
          >
            Revoke…
          </button>
        </>
      ) : (
        <div className="confirm-panel" data-testid="revoke-confirm">
          <h3 ref={heading} tabIndex={-1}>
            Revoke {appName}’s access?
          </h3>
          <ul className="steps">
            <li>
              <strong>Its access stops now.</strong> Its tokens stop working: the very next call it makes for
              you fails.
            </li>
            <li>
              <strong>It is asked to delete your data.</strong> Tandem tells {appName} to delete what it got
              about you, and it must send back a signed deletion receipt by a due date. You will see the
              receipt here.
            </li>
            <li>
              <strong>This record stays.</strong> The ledger of what {appName} did for you is kept, for you.
            </li>
          </ul>
          {error && <Notice tone="error">{error}</Notice>}
          <div className="form-actions">
            <button
              type="button"
              className="button button-danger"
              disabled={busy}
              onClick={() => void revoke()}
            >
              {busy ? 'Revoking…' : `Revoke ${appName}`}
            </button>
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() => setConfirming(false)}
              onKeyDown={(e) => e.key === 'Escape' && setConfirming(false)}
            >
              Cancel
            </button>
          </div>
        </div>
      )}
    </section>
  )
}
