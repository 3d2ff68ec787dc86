import { useEffect, useRef, useState } from 'react'
import { Field } from '../../../lib/web/ui/field.tsx'
import { RecipientIcon, type ShareVariantProps } from './classic-share.tsx'
import { externalRecipients, type Recipient, statusLabel, succeeded } from './recipients.ts'
import { ShareResults } from './share-results.tsx'
import { useSender } from './use-sender.ts'

/** How long a tapped friend can still be taken back before the send goes out. */
export const UNDO_MS = 4_000

/**
 * Variant `quick`: one tap on a friend sends (after a short undo window); links are made at once,
 * since nobody receives anything until the viewer pastes or mails them.
 */
export function QuickShare({ title, surface, groups, onDone }: ShareVariantProps) {
  const sender = useSender(title, surface)
  const [note, setNote] = useState('')
  const [queued, setQueued] = useState<Record<string, true>>({})
  const timers = useRef(new Map<string, { timer: ReturnType<typeof setTimeout>; fire: () => void }>())
  const all = [...groups.flatMap((g) => g.recipients), ...externalRecipients]

  // Closing the dialog sends what is still waiting: the viewer tapped those friends to send.
  useEffect(() => {
    const pending = timers.current
    return () => {
      for (const { timer, fire } of pending.values()) {
        clearTimeout(timer)
        fire()
      }
      pending.clear()
    }
  }, [])

  const tap = (recipient: Recipient) => {
    if (queued[recipient.key] || sender.results[recipient.key]?.status === 'pending') return
    if (succeeded(sender.results[recipient.key])) return
    if (recipient.kind === 'external') {
      void sender.send([recipient], note)
      return
    }
    const text = note
    const fire = () => {
      timers.current.delete(recipient.key)
      setQueued(({ [recipient.key]: _, ...rest }) => rest)
      void sender.send([recipient], text)
    }
    timers.current.set(recipient.key, { timer: setTimeout(fire, UNDO_MS), fire })
    setQueued((q) => ({ ...q, [recipient.key]: true }))
  }

  const undo = (recipient: Recipient) => {
    const entry = timers.current.get(recipient.key)
    if (entry) clearTimeout(entry.timer)
    timers.current.delete(recipient.key)
    setQueued(({ [recipient.key]: _, ...rest }) => rest)
  }

  const chip = (recipient: Recipient) => {
    const result = sender.results[recipient.key]
    const waiting = Boolean(queued[recipient.key])
    const state = waiting
      ? 'queued'
      : result
        ? result.status === 'pending'
          ? 'sending'
          : succeeded(result)
            ? 'sent'
            : 'failed'
        : 'idle'
    return (
      <li key={recipient.key} className={`chip-item is-${state}`}>
        <button
          type="button"
          className="chip"
          data-testid="recipient-row"
          data-recipient={recipient.key}
          data-kind={recipient.kind}
          data-state={state}
          aria-pressed={state !== 'idle' && state !== 'failed'}
          aria-describedby={`chip-status-${recipient.key}`}
          onClick={() => tap(recipient)}
        >
          <RecipientIcon recipient={recipient} size={52} />
          <span className="chip-name">{recipient.name}</span>
        </button>
        <span id={`chip-status-${recipient.key}`} className="chip-status small">
          {waiting ? 'Sending…' : result ? statusLabel(result) : (recipient.detail ?? '')}
        </span>
        {waiting && (
          <button
            type="button"
            className="button button-small"
            onClick={() => undo(recipient)}
            data-testid="share-undo"
            aria-label={`Undo sending to ${recipient.name}`}
          >
            Undo
          </button>
        )}
      </li>
    )
  }

  return (
    <div className="quick-share">
      <Field
        label="Add a note first (optional)"
        value={note}
        maxLength={500}
        onChange={(e) => setNote(e.target.value)}
        data-testid="share-note"
        hint="Tap a friend to send. You can undo for a few seconds."
      />
      {groups.map((group) => (
        <section
          key={group.id}
          className="recipient-group"
          aria-label={group.heading}
          data-testid={`recipient-group-${group.id}`}
        >
          <h3 className="share-section-title">{group.heading}</h3>
          {group.note && <p className="muted small">{group.note}</p>}
          {group.recipients.length === 0 ? (
            <p className="muted small">{group.empty ?? 'No one to show here yet.'}</p>
          ) : (
            <ul className="chips">{group.recipients.map(chip)}</ul>
          )}
        </section>
      ))}
      <section className="recipient-group" aria-label="Share a link" data-testid="recipient-group-external">
        <h3 className="share-section-title">Share a link</h3>
        <ul className="chips">{externalRecipients.map(chip)}</ul>
      </section>
      <ShareResults recipients={all} sender={sender} title={title} note={note} />
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onDone} data-testid="share-done">
          Done
        </button>
      </div>
    </div>
  )
}
