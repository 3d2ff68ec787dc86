import type { PendingMessage } from './use-thread-messages.ts'

interface PendingItemProps {
  pending: PendingMessage
  onRetry: (key: string) => void
  onDiscard: (key: string) => void
}

/** A message of mine on its way, or one that failed, with what to do about it. */
export function PendingItem({ pending, onRetry, onDiscard }: PendingItemProps) {
  const failed = pending.status === 'failed'
  return (
    <li
      className={`message is-mine is-first is-pending${failed ? ' is-failed' : ''}`}
      data-testid={failed ? 'message-failed' : 'message-sending'}
    >
      <span className="sr-only">You: </span>
      <div className="message-bubble">
        <p className="message-text">{pending.text}</p>
      </div>
      {failed ? (
        <div className="message-failure" role="alert">
          <span>{pending.error}</span>
          <button type="button" className="link-button" onClick={() => onRetry(pending.key)}>
            Retry
          </button>
          <button type="button" className="link-button" onClick={() => onDiscard(pending.key)}>
            Discard
          </button>
        </div>
      ) : (
        <span className="message-time">Sending…</span>
      )}
    </li>
  )
}
