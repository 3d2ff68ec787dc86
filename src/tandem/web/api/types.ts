export interface PublicUser {
  id: string
  username: string
  displayName: string
}

export interface Me extends PublicUser {
  isAdmin: boolean
  allowSuggestions: boolean
}

export interface Friend extends PublicUser {
  since: string
}

export interface FriendRequest {
  id: string
  fromUserId: string
  toUserId: string
  status: string
  createdAt: string
  /** The other person: the recipient for outgoing requests, the sender for incoming ones. */
  user: PublicUser
}

export interface ThreadPreview {
  id: string
  seq: number
  kind: 'text' | 'title_card'
  text: string
  senderId: string
  senderName: string
  viaName: string | null
  createdAt: string | null
}

export interface Thread {
  id: string
  kind: 'direct' | 'group'
  title: string
  members: PublicUser[]
  lastMessage: ThreadPreview | null
  lastSeq: number
  lastReadSeq: number
  unreadCount: number
  updatedAt: string
}

export interface TitleCard {
  title: string
  imageUrl: string | null
  href: string
  host: string
  appName: string | null
}

export interface Message {
  id: string
  threadId: string
  seq: number
  sender: PublicUser
  kind: 'text' | 'title_card'
  text: string
  card: TitleCard | null
  links: { url: string; href: string }[]
  via: { clientId: string; name: string | null } | null
  createdAt: string
}

export type RealtimeFrame =
  | { type: 'hello'; userId: string }
  | { type: 'pong' }
  | { type: 'message.created'; threadId: string; messageId: string; message?: Message }
  | { type: 'thread.read'; threadId: string; lastReadSeq: number }
  | { type: 'thread.created'; threadId: string }
  | { type: 'friends.changed' }
