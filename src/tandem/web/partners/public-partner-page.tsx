import { useCallback, useId, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { useResource } from '../../../lib/web/use-resource.ts'
import { ApiError } from '../api/http.ts'
import { calendarDay, dateOnly, formatCount, sum } from '../lib/format.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { ExternalLink } from '../ui/external-link.tsx'
import { LogoMark } from '../ui/icons.tsx'
import { LineChart } from './line-chart.tsx'
import { type PublicDimension, type PublicPeriod, publicPartner } from './public-partner-api.ts'

const DIMENSION_WORDS: Record<PublicDimension, string> = {
  interface: 'Interface (web, TV, mobile)',
  surface: 'Where it was shared from',
  variant: 'Design variant (A/B test)',
  recipientType: 'Recipient (on Tandem or by link)',
}

function Period({ period, open }: { period: PublicPeriod; open: boolean }) {
  const base = useId()
  const [dimension, setDimension] = useState<PublicDimension>('recipientType')
  const selectId = `${base}-dimension`
  const totals = period.totals.recipientType
  const sends = sum(totals.flatMap((s) => s.sends))
  const clicks = sum(totals.flatMap((s) => s.clicks))
  return (
    <details className="card-section" open={open} data-testid="public-period">
      <summary>
        <strong>
          {calendarDay(period.periodStart)} – {calendarDay(period.periodEnd)}
        </strong>{' '}
        <span className="muted">
          · {formatCount(sends)} recommendations sent, {formatCount(clicks)} clicks
        </span>
      </summary>
      <h3 className="subheading">How these numbers protect people</h3>
      <ul className="plain-words" data-testid="privacy-words">
        {period.privacy.inPlainWords.map((words) => (
          <li key={words}>{words}</li>
        ))}
      </ul>
      <div className="chart-controls">
        <label htmlFor={selectId}>
          Break down by
          <select
            id={selectId}
            value={dimension}
            onChange={(e) => setDimension(e.target.value as PublicDimension)}
          >
            {(Object.keys(DIMENSION_WORDS) as PublicDimension[]).map((d) => (
              <option key={d} value={d}>
                {DIMENSION_WORDS[d]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="chart-grid-2">
        {(['sends', 'clicks'] as const).map((measure) => {
          const series = period.totals[dimension].map((s) => ({ name: s.value, values: s[measure] }))
          const word = measure === 'sends' ? 'Recommendations sent' : 'Clicks on them'
          return (
            <LineChart
              key={measure}
              id={`${base}-${measure}`}
              testId="public-chart"
              title={`${word} per day, by ${DIMENSION_WORDS[dimension].toLowerCase()}`}
              description={`Daily totals the partner reported, one line per value (${series.map((s) => s.name).join(', ')}), ${formatCount(sum(series.flatMap((s) => s.values)))} in all.`}
              days={period.days}
              series={series}
            />
          )
        })}
      </div>
    </details>
  )
}

/**
 * A partner's public page (story 6): anyone, logged in or not, sees what the partner may use on Tandem
 * and the aggregates it reported about everyone's recommendations.
 */
export function PublicPartnerPage({ clientId }: { clientId: string }) {
  const load = useCallback(
    async (signal: AbortSignal) => {
      try {
        return await publicPartner(clientId, signal)
      } catch (error) {
        if (error instanceof ApiError && (error.status === 404 || error.status === 400)) return null
        throw error
      }
    },
    [clientId],
  )
  const { status, data, error } = useResource(load)
  usePageTitle(data ? `${data.partner.name} on Tandem` : 'Partner')
  return (
    <div className="public-partner" data-testid="public-partner-page">
      <header className="public-partner-brand">
        <Link to={paths.inbox} className="brand-link">
          <LogoMark width={24} height={24} /> Tandem
        </Link>
        <span className="muted">Partner transparency</span>
      </header>
      <main id="main" className="page-content page-wide">
        {error && <Notice tone="error">{error}</Notice>}
        {status === 'loading' && <p className="muted pad-y">Loading…</p>}
        {data === null && (
          <>
            <h1 tabIndex={-1}>Partner not found</h1>
            <p className="muted">Tandem has no partner app with this name.</p>
          </>
        )}
        {data && (
          <>
            <h1 tabIndex={-1} data-testid="public-partner-name">
              {data.partner.name}
            </h1>
            <p className="page-lead">
              {data.partner.name} is a partner app on Tandem. Here is what it may do with Tandem, and what it
              reported to Tandem, in aggregate, about the recommendations people sent with it.{' '}
              <ExternalLink href={data.partner.homepageUrl} /> ·{' '}
              <ExternalLink href={data.partner.privacyPolicyUrl}>Privacy policy</ExternalLink>
            </p>
            <section className="card-section" aria-labelledby="apis-heading" data-testid="public-apis">
              <h2 id="apis-heading">What it may use</h2>
              {data.apis.length === 0 ? (
                <p className="muted">No agreement is in force: it may not use any privileged API.</p>
              ) : (
                <ul className="plain-words">
                  {data.apis.map((a) => (
                    <li key={a.api}>
                      It may {a.purpose}, until {dateOnly(a.validUntil)}.
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <section aria-labelledby="reports-heading" data-testid="public-reports">
              <h2 id="reports-heading" className="subheading">
                What it reported
              </h2>
              <p className="muted">
                Every 14 days the partner reports daily counts of recommendations sent and of clicks on them.
                These are the numbers of its latest final report for each period, exactly as it delivered
                them.
              </p>
              {data.periods.length === 0 ? (
                <p className="card-section muted">No final report yet.</p>
              ) : (
                data.periods.map((p, i) => <Period key={p.reportId} period={p} open={i === 0} />)
              )}
            </section>
          </>
        )}
      </main>
    </div>
  )
}
