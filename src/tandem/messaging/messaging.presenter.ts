import { shimHref } from '../links/links.service.ts'
import type { InboxRow, MessageRow } from './messaging.repository.ts'

export interface PresentedMessage {
  id: string
  threadId: string
  seq: number
  sender: { id: string; username: string; displayName: string }
  kind: 'text' | 'title_card'
  text: string
  card: { title: string; imageUrl: string | null; href: string; host: string; appName: string | null } | null
  /** Each http(s) URL of the text, with the shim address that a click should go through. */
  links: { url: string; href: string }[]
  via: { clientId: string; name: string | null } | null
  createdAt: string
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host
  } catch {
    return ''
  }
}

export function presentMessage(row: MessageRow, origin: string): PresentedMessage {
  return {
    id: row.id,
    threadId: row.thread_id,
    seq: row.seq,
    sender: { id: row.sender_id, username: row.sender_username, displayName: row.sender_display_name },
    kind: row.kind,
    text: row.body,
    card: row.card
      ? {
          title: row.card.title,
          imageUrl: row.card.imageUrl,
          href: shimHref(origin, row.card.linkId),
          host: hostOf(row.card.url),
          appName: row.card.appName,
        }
      : null,
    links: row.links.map((l) => ({ url: l.url, href: shimHref(origin, l.id) })),
    via: row.via_client_id ? { clientId: row.via_client_id, name: row.card?.appName ?? null } : null,
    createdAt: row.created_at.toISOString(),
  }
}

export interface MemberRow {
  thread_id: string
  id: string
  username: string
  display_name: string
}

export function presentThread(row: InboxRow, members: MemberRow[], viewerId: string) {
  const others = members.filter((m) => m.id !== viewerId)
  const preview = row.last_id
    ? {
        id: row.last_id,
        seq: row.last_seq,
        kind: row.last_kind,
        text:
          row.last_kind === 'title_card' && !row.last_body
            ? (row.last_card?.title ?? '')
            : (row.last_body ?? ''),
        senderId: row.last_sender_id,
        senderName: row.last_sender_name,
        viaName: row.last_via_client_id ? (row.last_card?.appName ?? null) : null,
        createdAt: row.last_created_at?.toISOString() ?? null,
      }
    : null
  return {
    id: row.id,
    kind: row.kind,
    title: row.title ?? others.map((m) => m.display_name).join(', '),
    members: members.map((m) => ({ id: m.id, username: m.username, displayName: m.display_name })),
    lastMessage: preview,
    lastSeq: row.last_seq,
    lastReadSeq: row.last_read_seq,
    unreadCount: Math.max(0, row.last_seq - row.last_read_seq),
    updatedAt: row.activity_at.toISOString(),
    createdAt: row.created_at.toISOString(),
  }
}
