import type { ColumnType, Generated, Kysely, Selectable, Transaction } from 'kysely'

type Timestamp = ColumnType<Date, Date | string, Date | string>
type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>

export interface UsersTable {
  id: string
  username: string
  display_name: string
  password_hash: string
  is_admin: Generated<boolean>
  share_history_with_friends: Generated<boolean>
  created_at: CreatedAt
}

export interface SessionsTable {
  id_hash: string
  user_id: string
  created_at: Timestamp
  expires_at: Timestamp
  last_seen_at: Timestamp
}

export interface TitlesTable {
  id: string
  name: string
  year: number
  runtime_minutes: number
  genres: string[]
  synopsis: string
  created_at: CreatedAt
}

export interface WatchHistoryTable {
  user_id: string
  title_id: string
  position_seconds: Generated<number>
  started_at: Timestamp
  updated_at: Timestamp
  finished_at: Timestamp | null
}

/** Every Marquee table; modules add theirs here with their migration. */
export interface MarqueeDatabase {
  users: UsersTable
  sessions: SessionsTable
  titles: TitlesTable
  watch_history: WatchHistoryTable
}

export type Db = Kysely<MarqueeDatabase> | Transaction<MarqueeDatabase>
export type User = Selectable<UsersTable>
export type Title = Selectable<TitlesTable>
