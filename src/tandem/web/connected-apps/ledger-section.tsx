import { useCallback, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api, ledgerDownloadUrl } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import type { LedgerVerification } from '../api/types.ts'
import { fullTime, plural } from '../lib/format.ts'
import { LoadMore, usePages } from '../lib/use-pages.tsx'
import { DataTable } from '../ui/data-table.tsx'

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
  const fetchPage = useCallback(
    (before: string | undefined) =>
      api
        .ledger(clientId, { limit: PAGE, before })
        .then((page) => ({ items: page.entries, nextCursor: page.nextCursor })),
    [clientId],
  )
  const pages = usePages(fetchPage)
  const { items: entries, status, error, setError } = pages
  const [verification, setVerification] = useState<LedgerVerification | null>(null)
  const [verifying, setVerifying] = useState(false)

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
        <DataTable
          caption={`Calls ${appName} made for you`}
          className="ledger-table"
          columns={['When', 'What', { label: 'Objects', num: true, wideOnly: true }, 'Purpose']}
        >
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
        </DataTable>
      )}
      <LoadMore pages={pages} />
    </section>
  )
}
