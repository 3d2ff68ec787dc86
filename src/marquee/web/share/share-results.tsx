import { useEffect, useRef } from 'react'
import type { Title } from '../api/types.ts'
import { CheckIcon, CloseIcon } from '../ui/icons.tsx'
import { type Recipient, type RecipientResult, statusLabel, succeeded } from './recipients.ts'
import type { Sender } from './use-sender.ts'

function mailto(title: Title, url: string, note: string): string {
  const subject = `Watch ${title.name} on Marquee`
  const body = `${note.trim() ? `${note.trim()}\n\n` : ''}${title.name} (${title.year}): ${url}`
  return `mailto:?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(body)}`
}

function LinkResult({ url, sender }: { url: string; sender: Sender }) {
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => {
    input.current?.select()
  }, [])
  const copy = async () => {
    input.current?.select()
    try {
      await navigator.clipboard.writeText(url)
      sender.setCopied(url)
    } catch {
      sender.setCopied(null)
    }
  }
  return (
    <div className="link-result">
      <label className="sr-only" htmlFor="share-link-url">
        Link to share
      </label>
      <input id="share-link-url" ref={input} readOnly value={url} data-testid="share-link-url" />
      <button type="button" className="button" onClick={copy} data-testid="share-copy-again">
        {sender.copied === url ? 'Copied' : 'Copy'}
      </button>
    </div>
  )
}

/** One line per recipient sent to: who, and what happened. */
export function ShareResults({
  recipients,
  sender,
  title,
  note,
}: {
  recipients: Recipient[]
  sender: Sender
  title: Title
  note: string
}) {
  const shown = recipients.filter((r) => sender.results[r.key])
  return (
    <div className="share-results" data-testid="share-results" aria-live="polite">
      {shown.length > 0 && <h3 className="share-section-title">Results</h3>}
      <ul>
        {shown.map((recipient) => {
          const result = sender.results[recipient.key] as RecipientResult
          const ok = succeeded(result)
          const pending = result.status === 'pending'
          return (
            <li
              key={recipient.key}
              className={`share-result ${pending ? 'is-pending' : ok ? 'is-ok' : 'is-failed'}`}
              data-testid="share-result"
              data-recipient={recipient.key}
              data-status={result.error ? 'error' : result.status}
            >
              <span className="share-result-icon" aria-hidden="true">
                {pending ? (
                  '…'
                ) : ok ? (
                  <CheckIcon width={16} height={16} />
                ) : (
                  <CloseIcon width={16} height={16} />
                )}
              </span>
              <span className="share-result-name">{recipient.name}</span>
              <span className="share-result-status">
                {recipient.payload.type === 'external' &&
                recipient.payload.channel === 'copy_link' &&
                sender.copied &&
                ok
                  ? 'Link copied'
                  : statusLabel(result)}
              </span>
              {ok &&
                result.url &&
                recipient.payload.type === 'external' &&
                recipient.payload.channel === 'copy_link' && <LinkResult url={result.url} sender={sender} />}
              {ok &&
                result.url &&
                recipient.payload.type === 'external' &&
                recipient.payload.channel === 'email' && (
                  <a className="button" href={mailto(title, result.url, note)} data-testid="share-email-link">
                    Write the e-mail
                  </a>
                )}
            </li>
          )
        })}
      </ul>
    </div>
  )
}
