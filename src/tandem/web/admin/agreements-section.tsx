import { type Dispatch, type FormEvent, type SetStateAction, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import type { Agreement, AgreementStatus, PrivilegedApi } from '../api/types.ts'
import { fullTime, lastUtcDay, lastUtcDayIso, utcDay } from '../lib/format.ts'
import { DataTable } from '../ui/data-table.tsx'
import { Pill, type PillTone } from '../ui/pill.tsx'
import { AgreementTimeline } from './agreement-timeline.tsx'
import { API_DESCRIPTIONS, API_LABELS, PRIVILEGED_APIS } from './partner-status.tsx'

const STATUS_TONES: Record<AgreementStatus, PillTone> = {
  active: 'good',
  future: 'info',
  lapsed: 'warn',
  ended: 'neutral',
}
const STATUS_WORDS: Record<AgreementStatus, string> = {
  active: 'Active',
  future: 'Starts later',
  lapsed: 'Lapsed',
  ended: 'Ended',
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10)
const tomorrow = () => isoDay(new Date(Date.now() + 86_400_000))

function obligationsText(a: Agreement): string {
  const parts = [
    a.obligations.reportEveryDays ? `report every ${a.obligations.reportEveryDays} d` : '',
    a.obligations.deletionReceiptDays ? `receipts in ${a.obligations.deletionReceiptDays} d` : '',
  ].filter(Boolean)
  return parts.length > 0 ? parts.join(' · ') : 'no obligations'
}

type Editing = { id: string; action: 'extend' | 'end' } | null

function CreateAgreementForm({ clientId, onCreated }: { clientId: string; onCreated: () => Promise<void> }) {
  const [apis, setApis] = useState<PrivilegedApi[]>([])
  const [validUntil, setValidUntil] = useState('')
  const [reportEveryDays, setReportEveryDays] = useState('14')
  const [receiptDays, setReceiptDays] = useState('30')
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<{ tone: 'success' | 'error'; text: string } | null>(null)

  const toggle = (api: PrivilegedApi, on: boolean) =>
    setApis((current) => (on ? [...current, api] : current.filter((a) => a !== api)))

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setOutcome(null)
    try {
      const obligations: { reportEveryDays?: number; deletionReceiptDays?: number } = {}
      if (reportEveryDays.trim()) obligations.reportEveryDays = Number(reportEveryDays)
      if (receiptDays.trim()) obligations.deletionReceiptDays = Number(receiptDays)
      const ordered = PRIVILEGED_APIS.filter((a) => apis.includes(a))
      const { agreements } = await api.admin.createAgreements({
        clientId,
        apis: ordered,
        validUntil,
        obligations,
      })
      setOutcome({
        tone: 'success',
        text: `Created: ${agreements.map((a) => `${API_LABELS[a.api]} v${a.version}`).join(', ')}, valid through ${lastUtcDay(agreements[0]!.validUntil)} (UTC).`,
      })
      setApis([])
      await onCreated()
    } catch (error) {
      setOutcome({ tone: 'error', text: describeError(error) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form
      className="subsection"
      onSubmit={submit}
      aria-labelledby="new-agreement-heading"
      data-testid="new-agreement"
    >
      <h3 id="new-agreement-heading">New agreement</h3>
      <fieldset className="choice-group">
        <legend>APIs</legend>
        {PRIVILEGED_APIS.map((api) => (
          <label className="choice" key={api}>
            <input
              type="checkbox"
              checked={apis.includes(api)}
              onChange={(e) => toggle(api, e.target.checked)}
            />
            <span>
              <strong>{API_LABELS[api]}</strong> <span className="muted">— {API_DESCRIPTIONS[api]}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div className="field-row">
        <div className="field">
          <label htmlFor="agreement-until">Valid until</label>
          <input
            id="agreement-until"
            type="date"
            min={tomorrow()}
            value={validUntil}
            onChange={(e) => setValidUntil(e.target.value)}
            required
            aria-describedby="agreement-until-hint"
          />
          <p className="field-hint" id="agreement-until-hint">
            Through the end of that day (UTC).
          </p>
        </div>
        <div className="field">
          <label htmlFor="agreement-report">Report every (days)</label>
          <input
            id="agreement-report"
            type="number"
            min={1}
            max={90}
            value={reportEveryDays}
            onChange={(e) => setReportEveryDays(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="agreement-receipts">Deletion receipt within (days)</label>
          <input
            id="agreement-receipts"
            type="number"
            min={1}
            max={90}
            value={receiptDays}
            onChange={(e) => setReceiptDays(e.target.value)}
          />
        </div>
      </div>
      {outcome && (
        <Notice tone={outcome.tone} testId="agreement-outcome">
          {outcome.text}
        </Notice>
      )}
      <div className="form-actions">
        <button
          type="submit"
          className="button button-primary"
          disabled={busy || apis.length === 0 || !validUntil}
        >
          {busy ? 'Creating…' : 'Create agreement'}
        </button>
      </div>
    </form>
  )
}

function RowActions({
  agreement,
  editing,
  setEditing,
  onChanged,
}: {
  agreement: Agreement
  editing: Editing
  setEditing: Dispatch<SetStateAction<Editing>>
  onChanged: () => Promise<void>
}) {
  const [value, setValue] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const mine = editing?.id === agreement.id ? editing.action : null
  const label = `${API_LABELS[agreement.api]} v${agreement.version}`

  if (agreement.status === 'ended') return null

  async function save(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      if (mine === 'extend') await api.admin.extendAgreement(agreement.id, value)
      else await api.admin.endAgreement(agreement.id, value.trim())
      // Close this row's form only: the admin may already have opened another row's.
      setEditing((current) => (current?.id === agreement.id ? null : current))
      setValue('')
      await onChanged()
    } catch (failure) {
      setError(describeError(failure))
    } finally {
      setBusy(false)
    }
  }

  if (!mine) {
    return (
      <span className="row-actions">
        <button
          type="button"
          className="button button-small"
          aria-label={`Extend ${label}`}
          onClick={() => {
            setValue(lastUtcDayIso(agreement.validUntil))
            setEditing({ id: agreement.id, action: 'extend' })
          }}
        >
          Extend
        </button>
        <button
          type="button"
          className="button button-small button-quiet-danger"
          aria-label={`End ${label}`}
          onClick={() => {
            setValue('')
            setEditing({ id: agreement.id, action: 'end' })
          }}
        >
          End
        </button>
      </span>
    )
  }
  return (
    <form className="row-form" onSubmit={save} onKeyDown={(e) => e.key === 'Escape' && setEditing(null)}>
      {mine === 'extend' ? (
        <label>
          <span className="sr-only">New valid-until date for {label}</span>
          <input
            type="date"
            min={tomorrow()}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            required
          />
        </label>
      ) : (
        <label>
          <span className="sr-only">Why end {label}</span>
          <input
            placeholder="Reason (recorded)"
            maxLength={500}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            required
            // biome-ignore lint/a11y/noAutofocus: the field appears where the admin just clicked
            autoFocus
          />
        </label>
      )}
      <button
        type="submit"
        className={`button button-small ${mine === 'end' ? 'button-danger' : 'button-primary'}`}
        disabled={busy || !value.trim()}
      >
        {mine === 'extend' ? 'Extend' : 'End agreement'}
      </button>
      <button type="button" className="button button-small" onClick={() => setEditing(null)}>
        Cancel
      </button>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </form>
  )
}

/** A partner's agreements: timeline, every version with its status, extend or end, and a new one. */
export function AgreementsSection({
  clientId,
  agreements,
  onChanged,
}: {
  clientId: string
  agreements: Agreement[]
  onChanged: () => Promise<void>
}) {
  const [editing, setEditing] = useState<Editing>(null)
  const [showOld, setShowOld] = useState(false)
  const sorted = [...agreements].sort(
    (a, b) => PRIVILEGED_APIS.indexOf(a.api) - PRIVILEGED_APIS.indexOf(b.api) || b.version - a.version,
  )
  const superseded = sorted.filter((a) => a.endReason === 'superseded')
  const shown = showOld ? sorted : sorted.filter((a) => a.endReason !== 'superseded')
  return (
    <section className="card-section" aria-labelledby="agreements-heading" data-testid="agreements">
      <h2 id="agreements-heading">Agreements</h2>
      {agreements.length === 0 ? (
        <p className="muted">
          No agreements yet: this partner can ask only for sign-in and profile scopes until one covers an API.
        </p>
      ) : (
        <>
          <AgreementTimeline agreements={agreements} />
          <DataTable
            caption="Agreements, newest version first for each API"
            testId="agreements-table"
            columns={[
              'API',
              'Valid',
              { label: 'Status', wideOnly: true },
              { label: 'Obligations', wideOnly: true },
              { label: 'Actions', hidden: true },
            ]}
          >
            {shown.map((a) => (
              <tr key={a.id} data-testid="agreement-row" data-api={a.api} data-status={a.status}>
                <th scope="row">
                  {API_LABELS[a.api]} <span className="muted">v{a.version}</span>
                  <span className="cell-sub">{a.scopes.join(', ')}</span>
                  <span className="cell-sub phone-only">{obligationsText(a)}</span>
                  <span className="cell-sub phone-only">
                    <Pill tone={STATUS_TONES[a.status]}>{STATUS_WORDS[a.status]}</Pill>
                  </span>
                </th>
                <td>
                  <span className="nowrap">{utcDay(a.validFrom)} –</span>{' '}
                  <span className="nowrap">{lastUtcDay(a.validUntil)}</span>
                  {a.endedAt && (
                    <span className="cell-sub">
                      ended {fullTime(a.endedAt)}
                      {a.endReason ? `: ${a.endReason}` : ''}
                    </span>
                  )}
                </td>
                <td className="wide-only">
                  <Pill tone={STATUS_TONES[a.status]}>{STATUS_WORDS[a.status]}</Pill>
                </td>
                <td className="cell-sub-only wide-only">{obligationsText(a)}</td>
                <td>
                  <RowActions agreement={a} editing={editing} setEditing={setEditing} onChanged={onChanged} />
                </td>
              </tr>
            ))}
          </DataTable>
          {superseded.length > 0 && (
            <button type="button" className="link-button small" onClick={() => setShowOld((v) => !v)}>
              {showOld ? 'Hide' : 'Show'} {superseded.length} superseded version
              {superseded.length === 1 ? '' : 's'}
            </button>
          )}
        </>
      )}
      <CreateAgreementForm clientId={clientId} onCreated={onChanged} />
    </section>
  )
}
