import type { Message } from '../api/types.ts'
import { clockTime, fullTime } from '../lib/format.ts'
import { MessageText } from './message-text.tsx'
import { PartnerControls } from './partner-controls.tsx'
import { TitleCard } from './title-card.tsx'

interface MessageItemProps {
  message: Message
  mine: boolean
  /** Show the sender's name above the message (group threads, first of a run). */
  showSender: boolean
  /** First of a run of messages from the same sender. */
  first: boolean
  /** Last of a run: the only one whose time shows. */
  last: boolean
}

export function MessageItem({ message, mine, showSender, first, last }: MessageItemProps) {
  const viaLabel = message.via && !message.card ? ` via ${message.via.name ?? 'a partner app'}` : ''
  return (
    <li
      className={`message${mine ? ' is-mine' : ''}${first ? ' is-first' : ''}`}
      data-testid="message"
      data-seq={message.seq}
      data-message-id={message.id}
    >
      {showSender || viaLabel ? (
        <span className="message-sender">
          {message.sender.displayName}
          {viaLabel}
        </span>
      ) : (
        <span className="sr-only">{mine ? 'You' : message.sender.displayName}: </span>
      )}
      {message.card && <TitleCard card={message.card} sender={message.sender} via={message.via} />}
      {message.text && (
        <div className="message-bubble">
          <MessageText text={message.text} links={message.links} />
        </div>
      )}
      {message.via && !mine && <PartnerControls message={{ ...message, via: message.via }} />}
      <time
        className={`message-time${last ? '' : ' sr-only'}`}
        dateTime={message.createdAt}
        title={fullTime(message.createdAt)}
      >
        {clockTime(message.createdAt)}
      </time>
    </li>
  )
}
