import { useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import type { Message } from '../api/types.ts'
import { useAction } from '../lib/use-action.ts'
import { setPartnerMuted, usePartnerMuted } from '../state/partner-mutes.ts'
import { ConfirmActions } from '../ui/confirm-actions.tsx'

const REASONS = [
  { value: 'spam', label: 'Spam' },
  { value: 'offensive', label: 'Offensive' },
  { value: 'other', label: 'Something else' },
] as const

type Mode = 'idle' | 'confirm-mute' | 'report'

/**
 * Mute and Report for a message a partner app sent: muting stops the app's messages reaching me,
 * a report goes to Tandem with a short reason. The partner's name is shown as text.
 */
export function PartnerControls({ message }: { message: Message & { via: NonNullable<Message['via']> } }) {
  const { clientId } = message.via
  const partner = message.via.name ?? 'this app'
  const muted = usePartnerMuted(clientId)
  const [mode, setMode] = useState<Mode>('idle')
  const [reason, setReason] = useState<string>('spam')
  const [reported, setReported] = useState(false)
  const { busy, error, run } = useAction()

  const mute = () =>
    run('mute', async () => {
      await api.mutePartner(clientId)
      setPartnerMuted(clientId, true)
      setMode('idle')
    })
  const unmute = () =>
    run('unmute', async () => {
      await api.unmutePartner(clientId)
      setPartnerMuted(clientId, false)
    })
  const report = () =>
    run('report', async () => {
      await api.reportMessage(message.id, reason)
      setReported(true)
      setMode('idle')
    })

  return (
    <div className="partner-controls" data-testid="partner-controls">
      {muted ? (
        <span className="partner-controls-row" data-testid="partner-muted">
          <span>You muted {partner}</span>
          <button
            type="button"
            className="button button-small button-ghost"
            disabled={busy !== null}
            onClick={() => void unmute()}
          >
            Unmute
          </button>
        </span>
      ) : mode === 'confirm-mute' ? (
        <ConfirmActions
          question={`Mute ${partner}? Its messages will no longer reach you.`}
          confirmLabel="Mute"
          busy={busy === 'mute'}
          onConfirm={() => void mute()}
          onCancel={() => setMode('idle')}
        />
      ) : mode !== 'report' ? (
        <span className="partner-controls-row">
          <button
            type="button"
            className="button button-small button-ghost"
            onClick={() => setMode('confirm-mute')}
          >
            Mute {partner}
          </button>
        </span>
      ) : null}
      {mode === 'report' ? (
        <form
          className="report-form"
          aria-label="Report this message"
          onSubmit={(e) => {
            e.preventDefault()
            void report()
          }}
        >
          <fieldset className="report-reasons">
            <legend>Why are you reporting it?</legend>
            {REASONS.map((r) => (
              <label key={r.value} className="report-reason">
                <input
                  type="radio"
                  name={`report-${message.id}`}
                  value={r.value}
                  checked={reason === r.value}
                  onChange={() => setReason(r.value)}
                />
                {r.label}
              </label>
            ))}
          </fieldset>
          <span className="partner-controls-row">
            <button type="submit" className="button button-small button-danger" disabled={busy === 'report'}>
              Send report
            </button>
            <button type="button" className="button button-small" onClick={() => setMode('idle')}>
              Cancel
            </button>
          </span>
        </form>
      ) : reported ? (
        <Notice tone="success" testId="report-sent">
          Thanks, we got your report.
        </Notice>
      ) : (
        mode === 'idle' && (
          <button
            type="button"
            className="button button-small button-ghost"
            onClick={() => setMode('report')}
          >
            Report
          </button>
        )
      )}
      {error && <Notice tone="error">{error}</Notice>}
    </div>
  )
}
