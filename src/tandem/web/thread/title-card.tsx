import { useState } from 'react'
import type { TitleCard as Card, Message } from '../api/types.ts'

interface TitleCardProps {
  card: Card
  sender: Message['sender']
  via: Message['via']
}

/** A shared title: image, name and host, labelled with the partner app it came through. */
export function TitleCard({ card, sender, via }: TitleCardProps) {
  const [imageFailed, setImageFailed] = useState(false)
  const appName = via ? (via.name ?? card.appName ?? 'a partner app') : null
  return (
    <a
      className="title-card"
      href={card.href}
      rel="noopener noreferrer"
      target="_blank"
      data-testid="title-card"
    >
      {card.imageUrl && !imageFailed && (
        <img
          className="title-card-image"
          src={card.imageUrl}
          alt=""
          loading="lazy"
          referrerPolicy="no-referrer"
          onError={() => setImageFailed(true)}
        />
      )}
      <span className="title-card-body">
        {appName && (
          <span className="title-card-via" data-testid="via-label">
            {sender.displayName} via {appName}
          </span>
        )}
        <span className="title-card-title">{card.title}</span>
        {card.host && <span className="title-card-host">{card.host}</span>}
      </span>
    </a>
  )
}
