import { useCallback, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import type { DeliveryStatus, WebhookDelivery } from '../api/types.ts'
import { fullTime } from '../lib/format.ts'
import { LoadMore, usePages } from '../lib/use-pages.tsx'
import { DataTable } from '../ui/data-table.tsx'
import { Pill, type PillTone } from '../ui/pill.tsx'

const PAGE = 25
const ORDER: DeliveryStatus[] = ['delivered', 'pending', 'failed']
const TONES: Record<DeliveryStatus, PillTone> = { delivered: 'good', pending: 'info', failed: 'bad' }
const WORDS: Record<DeliveryStatus, string> = { delivered: 'Delivered', pending: 'Pending', failed: 'Failed' }

/** One stacked bar: how the deliveries on screen split by status. */
function DeliveryChart({ deliveries }: { deliveries: WebhookDelivery[] }) {
  const counts = ORDER.map((status) => ({ status, n: deliveries.filter((d) => d.status === status).length }))
  const total = deliveries.length
  let at = 0
  const label = counts.map((c) => `${c.n} ${c.status}`).join(', ')
  return (
    <figure className="delivery-chart" data-testid="delivery-chart">
      <svg
        viewBox="0 0 100 6"
        preserveAspectRatio="none"
        role="img"
        aria-label={`Latest ${total} deliveries: ${label}`}
      >
        {counts.map(({ status, n }) => {
          const width = (n / total) * 100
          const rect = <rect key={status} x={at} y="0" width={width} height="6" className={`bar-${status}`} />
          at += width
          return rect
        })}
      </svg>
      <figcaption className="chart-legend">
        {counts.map(({ status, n }) => (
          <span key={status}>
            <span className={`legend-swatch bar-${status}`} aria-hidden="true" /> {WORDS[status]} {n}
          </span>
        ))}
      </figcaption>
    </figure>
  )
}

/** A partner's webhook deliveries, newest first, with a retry for the ones that gave up. */
export function WebhooksSection({ clientId, webhookUrl }: { clientId: string; webhookUrl: string | null }) {
  const fetchPage = useCallback(
    (before: string | undefined) =>
      api.admin
        .deliveries(clientId, { limit: PAGE, before })
        .then((page) => ({ items: page.deliveries, nextCursor: page.nextCursor })),
    [clientId],
  )
  const pages = usePages(fetchPage)
  const { items: deliveries, status, error, setError, load } = pages
  const [retrying, setRetrying] = useState<string | null>(null)

  async function retry(id: string) {
    setRetrying(id)
    setError(null)
    try {
      const { delivery } = await api.admin.retryDelivery(id)
      pages.setItems((current) => current.map((d) => (d.id === id ? delivery : d)))
    } catch (failure) {
      setError(describeError(failure))
    } finally {
      setRetrying(null)
    }
  }

  return (
    <section className="card-section" aria-labelledby="webhooks-heading" data-testid="webhooks">
      <div className="section-header">
        <h2 id="webhooks-heading">Webhook deliveries</h2>
        <button
          type="button"
          className="button button-small"
          onClick={() => void load()}
          disabled={status !== 'ready'}
        >
          Refresh
        </button>
      </div>
      <p className="muted">
        {webhookUrl ? (
          <>
            Signed events sent to <code>{webhookUrl}</code>, newest first.
          </>
        ) : (
          'This partner has no webhook URL: events are recorded as failed until it registers one.'
        )}
      </p>
      {error && <Notice tone="error">{error}</Notice>}
      {status === 'loading' && deliveries.length === 0 && <p className="muted pad-y">Loading deliveries…</p>}
      {status !== 'loading' && deliveries.length === 0 && !error && (
        <p className="empty-note">No events sent yet.</p>
      )}
      {deliveries.length > 0 && (
        <>
          <DeliveryChart deliveries={deliveries} />
          <DataTable
            caption="Webhook deliveries, newest first"
            testId="deliveries-table"
            columns={[
              'Event',
              'Status',
              { label: 'Attempts', num: true },
              'Last answer',
              { label: 'Actions', hidden: true },
            ]}
          >
            {deliveries.map((d) => (
              <tr key={d.id} data-testid="delivery" data-status={d.status}>
                <td>
                  <code>{d.type}</code>
                  <span className="cell-sub">{fullTime(d.createdAt)}</span>
                </td>
                <td>
                  <Pill tone={TONES[d.status]}>{WORDS[d.status]}</Pill>
                  {d.deliveredAt && <span className="cell-sub">{fullTime(d.deliveredAt)}</span>}
                  {d.status === 'pending' && d.nextAttemptAt && (
                    <span className="cell-sub">next {fullTime(d.nextAttemptAt)}</span>
                  )}
                </td>
                <td className="num">{d.attempts}</td>
                <td>
                  {d.lastStatus !== null ? `HTTP ${d.lastStatus}` : d.lastError ? '' : '—'}
                  {d.lastError && <span className="cell-sub error-text">{d.lastError}</span>}
                </td>
                <td>
                  {d.status === 'failed' && (
                    <button
                      type="button"
                      className="button button-small"
                      disabled={retrying === d.id}
                      onClick={() => void retry(d.id)}
                      aria-label={`Retry ${d.type} from ${fullTime(d.createdAt)}`}
                    >
                      Retry
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
          <LoadMore pages={pages} />
        </>
      )}
    </section>
  )
}
