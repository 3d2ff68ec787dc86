import { useCallback, useEffect, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api, ledgerDownloadUrl } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import type { LedgerEntry, LedgerVerification } from '../api/types.ts'
import { fullTime, plural } from '../lib/format.ts'

const PAGE = 20

const BREAK_REASONS: Record<Extract<LedgerVerification, { ok: false }>['brokenAt']['reason'], string> = {
  hash_mismatch: 'it was changed after it was written',
  chain_broken: 'it does not follow from the entry before it',
  gap: 'entries before it are missing',
}

function Details({ details }: { details: Record<string, unknown> }) {
  const entries = Object.entries(details)
  if (entries.length === 0) return null
  return (
    <span className="ledger-details">
      {entries.map(([key, value]) => (
        <span key={key}>
          {key}: {typeof value === 'string' ? value : JSON.stringify(value)}
        </span>
      ))}
    </span>
  )
}

function Verification({ result }: { result: LedgerVerification }) {
  if (result.ok) {
    return (
      <Notice tone="success" testId="ledger-verification">
        Your ledger checks out: all {plural(result.entries, 'entry', 'entries')}, across every app, follow
        from one another unchanged.
        {result.head && <span className="mono-hint"> Latest fingerprint {result.head.slice(0, 16)}…</span>}
      </Notice>
    )
  }
  return (
    <Notice tone="error" testId="ledger-verification">
      Entry #{result.brokenAt.seq} does not hold together: {BREAK_REASONS[result.brokenAt.reason]}. Entries
      from there on cannot be trusted.
    </Notice>
  )
}

/** One app's calls for me, newest first, with downloads and a check of the ledger's hash chain. */
export function LedgerSection({ clientId, appName }: { clientId: string; appName: string }) {
  const [entries, setEntries] = useState<LedgerEntry[]>([])
  const [nextCursor, setNextCursor] = useState<string | null>(null)
  const [status, setStatus] = useState<'loading' | 'ready' | 'more'>('loading')
  const [error, setError] = useState<string | null>(null)
  const [verification, setVerification] = useState<LedgerVerification | null>(null)
  const [verifying, setVerifying] = useState(false)

  const load = useCallback(
    async (before?: string) => {
      setStatus(before ? 'more' : 'loading')
      setError(null)
      try {
        const page = await api.ledger(clientId, { limit: PAGE, before })
        setEntries((current) => (before ? [...current, ...page.entries] : page.entries))
        setNextCursor(page.nextCursor)
      } catch (failure) {
        setError(describeError(failure))
      } finally {
        setStatus('ready')
      }
    },
    [clientId],
  )

  useEffect(() => {
    void load()
  }, [load])

  async function verify() {
    setVerifying(true)
    setVerification(null)
    setError(null)
    try {
      setVerification(await api.verifyLedger())
    } catch (failure) {
      setError(describeError(failure))
    } finally {
      setVerifying(false)
    }
  }

  const brokenSeq = verification && !verification.ok ? verification.brokenAt.seq : null

  return (
    <section className="card-section" aria-labelledby="ledger-heading" data-testid="ledger">
      <div className="section-header">
        <h2 id="ledger-heading">Access ledger</h2>
        <div className="section-actions">
          <a className="button button-small" href={ledgerDownloadUrl(clientId, 'csv')} download>
            Download CSV
          </a>
          <a className="button button-small" href={ledgerDownloadUrl(clientId, 'json')} download>
            Download JSON
          </a>
          <button
            type="button"
            className="button button-small"
            disabled={verifying}
            onClick={() => void verify()}
          >
            {verifying ? 'Verifying…' : 'Verify ledger'}
          </button>
        </div>
      </div>
      <p className="muted">
        Every call {appName} made that touched your data, newest first. Each entry is chained to the one
        before it by a hash, so an edited or deleted entry shows when you verify.
      </p>
      {verification && <Verification result={verification} />}
      {error && <Notice tone="error">{error}</Notice>}
      {status === 'loading' && entries.length === 0 && <p className="muted pad-y">Loading the ledger…</p>}
      {status !== 'loading' && entries.length === 0 && !error && (
        <p className="empty-note" data-testid="ledger-empty">
          {appName} has not made any calls for you yet.
        </p>
      )}
      {entries.length > 0 && (
        <div className="table-wrap">
          <table className="data-table ledger-table">
            <caption className="sr-only">Calls {appName} made for you</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col" className="num wide-only">
                  Objects
                </th>
                <th scope="col">Purpose</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr
                  key={entry.id}
                  data-testid="ledger-entry"
                  data-seq={entry.seq}
                  className={entry.seq === brokenSeq ? 'is-broken' : undefined}
                >
                  <td>
                    <time dateTime={entry.createdAt}>{fullTime(entry.createdAt)}</time>
                    <span className="cell-sub">#{entry.seq}</span>
                  </td>
                  <td>
                    <code className="nowrap">{entry.action}</code>
                    <span className="cell-sub">scope {entry.scope}</span>
                    <span className="cell-sub phone-only">{plural(entry.objectCount, 'object')}</span>
                  </td>
                  <td className="num wide-only">{entry.objectCount}</td>
                  <td>
                    <span className="ledger-purpose">{entry.purpose}</span>
                    <Details details={entry.details} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor && (
        <div className="load-more">
          <button
            type="button"
            className="button button-small"
            disabled={status === 'more'}
            onClick={() => void load(nextCursor)}
          >
            {status === 'more' ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </section>
  )
}
