import type { ColumnType, Generated, Kysely, Selectable, Transaction } from 'kysely'

type Timestamp = ColumnType<Date, Date | string, Date | string>
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>

export interface UsersTable {
  id: string
  username: string
  display_name: string
  password_hash: string
  is_admin: Generated<boolean>
  allow_suggestions: Generated<boolean>
  created_at: CreatedAt
}

export interface SessionsTable {
  id_hash: string
  user_id: string
  created_at: Timestamp
  expires_at: Timestamp
  last_seen_at: Timestamp
}

export interface FriendRequestsTable {
  id: string
  from_user_id: string
  to_user_id: string
  status: 'pending' | 'accepted' | 'declined' | 'cancelled'
  created_at: Timestamp
  responded_at: Timestamp | null
}

export interface FriendshipsTable {
  user_id: string
  friend_id: string
  created_at: Timestamp
}

export interface BlocksTable {
  blocker_id: string
  blocked_id: string
  created_at: Timestamp
}

export interface ThreadsTable {
  id: string
  kind: 'direct' | 'group'
  title: string | null
  direct_key: string | null
  created_by: string
  created_at: Timestamp
  last_seq: Generated<number>
  last_message_at: Timestamp | null
}

export interface ThreadMembersTable {
  thread_id: string
  user_id: string
  joined_at: Timestamp
  last_read_seq: Generated<number>
}

export interface TitleCard {
  title: string
  imageUrl: string | null
  url: string
  /** The name of the app that sent it (a partner, through the Inbox API), shown as "<sender> via <app>". */
  appName: string | null
  /** The shim link that `url` goes through. */
  linkId: string
}

export interface MessageLink {
  id: string
  url: string
}

export interface MessagesTable {
  id: string
  thread_id: string
  seq: number
  sender_id: string
  kind: 'text' | 'title_card'
  body: string
  card: ColumnType<TitleCard | null, string | null, string | null>
  links: ColumnType<MessageLink[], string, string>
  via_client_id: string | null
  created_at: Timestamp
}

export interface IdempotencyKeysTable {
  user_id: string
  scope: string
  key: string
  request_hash: string
  status: number
  response: ColumnType<unknown, string, string>
  created_at: Timestamp
}

export interface LinksTable {
  id: string
  url: string
  message_id: string | null
  via_client_id: string | null
  created_at: Timestamp
}

export interface LinkClicksTable {
  id: Generated<number>
  link_id: string
  clicked_at: Timestamp
}

export interface TandemDatabase {
  users: UsersTable
  sessions: SessionsTable
  friend_requests: FriendRequestsTable
  friendships: FriendshipsTable
  blocks: BlocksTable
  threads: ThreadsTable
  thread_members: ThreadMembersTable
  messages: MessagesTable
  idempotency_keys: IdempotencyKeysTable
  links: LinksTable
  link_clicks: LinkClicksTable
}

export type Db = Kysely<TandemDatabase>
export type Trx = Transaction<TandemDatabase>
export type User = Selectable<UsersTable>
export type Thread = Selectable<ThreadsTable>
export type Message = Selectable<MessagesTable>
