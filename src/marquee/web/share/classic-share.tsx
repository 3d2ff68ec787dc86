import { type FormEvent, useState } from 'react'
import { TextAreaField } from '../../../lib/web/ui/field.tsx'
import type { Surface, Title } from '../api/types.ts'
import { Avatar } from '../ui/avatar.tsx'
import { LinkIcon, MailIcon } from '../ui/icons.tsx'
import { externalRecipients, type Recipient, succeeded } from './recipients.ts'
import { ShareResults } from './share-results.tsx'
import { useSender } from './use-sender.ts'

export interface RecipientGroup {
  id: string
  heading: string
  note?: string
  /** What to say when the group has nobody in it. */
  empty?: string
  recipients: Recipient[]
}

export function RecipientIcon({ recipient, size = 36 }: { recipient: Recipient; size?: number }) {
  if (recipient.payload.type === 'external')
    return (
      <span className="avatar avatar-icon" style={{ width: size, height: size }} aria-hidden="true">
        {recipient.payload.channel === 'copy_link' ? <LinkIcon /> : <MailIcon />}
      </span>
    )
  return <Avatar name={recipient.name} url={recipient.avatarUrl} size={size} />
}

/** What the share dialog hands either variant. */
export interface ShareVariantProps {
  title: Title
  surface: Surface
  groups: RecipientGroup[]
  onDone: () => void
}

/** Variant `classic`: tick recipients in a list, add a note, press Send. */
export function ClassicShare({ title, surface, groups, onDone }: ShareVariantProps) {
  const sender = useSender(title, surface)
  const [note, setNote] = useState('')
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [busy, setBusy] = useState(false)
  const all = [...groups.flatMap((g) => g.recipients), ...externalRecipients]
  const chosen = all.filter((r) => selected.has(r.key))

  const toggle = (key: string) =>
    setSelected((prev) => {
      const next = new Set(prev)
      if (next.has(key)) next.delete(key)
      else next.add(key)
      return next
    })

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (chosen.length === 0 || busy) return
    setBusy(true)
    await sender.send(chosen, note)
    setSelected(new Set())
    setBusy(false)
  }

  const row = (recipient: Recipient) => {
    const done = succeeded(sender.results[recipient.key])
    return (
      <li key={recipient.key}>
        <label
          className="recipient-row"
          data-testid="recipient-row"
          data-recipient={recipient.key}
          data-kind={recipient.kind}
        >
          <input
            type="checkbox"
            checked={selected.has(recipient.key) || done}
            disabled={done || busy}
            onChange={() => toggle(recipient.key)}
          />
          <RecipientIcon recipient={recipient} />
          <span className="recipient-text">
            <span className="recipient-name">{recipient.name}</span>
            {recipient.detail && <span className="muted small">{recipient.detail}</span>}
          </span>
          {done && <span className="pill">Sent</span>}
        </label>
      </li>
    )
  }

  return (
    <form className="classic-share" onSubmit={submit}>
      {groups.map((group) => (
        <fieldset key={group.id} className="recipient-group" data-testid={`recipient-group-${group.id}`}>
          <legend>{group.heading}</legend>
          {group.note && <p className="muted small">{group.note}</p>}
          {group.recipients.length === 0 ? (
            <p className="muted small">{group.empty ?? 'No one to show here yet.'}</p>
          ) : (
            <ul className="recipient-list">{group.recipients.map(row)}</ul>
          )}
        </fieldset>
      ))}
      <fieldset className="recipient-group" data-testid="recipient-group-external">
        <legend>Share a link</legend>
        <ul className="recipient-list">{externalRecipients.map(row)}</ul>
      </fieldset>
      <TextAreaField
        label="Add a note (optional)"
        value={note}
        maxLength={500}
        rows={2}
        onChange={(e) => setNote(e.target.value)}
        data-testid="share-note"
      />
      <div className="dialog-actions">
        <button type="button" className="button button-ghost" onClick={onDone}>
          {Object.keys(sender.results).length > 0 ? 'Done' : 'Cancel'}
        </button>
        <button
          type="submit"
          className="button button-primary"
          disabled={chosen.length === 0 || busy}
          data-testid="share-send"
        >
          {busy ? 'Sending…' : chosen.length > 0 ? `Send to ${chosen.length}` : 'Send'}
        </button>
      </div>
      <ShareResults recipients={all} sender={sender} title={title} note={note} />
    </form>
  )
}
