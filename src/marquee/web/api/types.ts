import type { Interface, Surface } from '../../../lib/measurement-dimensions.ts'

export type { Interface, Surface }

export interface Me {
  id: string
  username: string
  displayName: string
  isAdmin: boolean
  shareHistoryWithFriends: boolean
  createdAt: string
}

export interface Title {
  id: string
  name: string
  year: number
  runtimeMinutes: number
  genres: string[]
  synopsis: string
  posterUrl: string
}

export interface Watch {
  titleId: string
  positionSeconds: number
  runtimeSeconds: number
  startedAt: string
  updatedAt: string
  finished: boolean
  finishedAt: string | null
}

/** A title page's title; the server may add fields (cast, the viewer's watch), read when present. */
export type TitleDetail = Title & {
  watch?: Watch | null
  genreNames?: string[]
  kind?: string
  seasons?: number | null
}

export interface BrowseRow {
  id: string
  name: string
  kind: 'continue' | 'because_you_watched' | 'friends' | 'genre'
  titles: Title[]
}

export interface Genre {
  id: string
  name: string
  count: number
}

export interface HistoryEntry {
  title: Title
  watch: Watch
}

export interface TandemStatus {
  connected: boolean
  scopes: string[]
  connectedAt: string | null
  /** `lapsed`: the consent ran out (two years after it was given), by Marquee's clock. */
  activity: { enabled: boolean; consentedAt: string | null; lapsesAt: string | null; lapsed: boolean }
}

export interface AppFriend {
  id: string
  name: string
  avatarUrl: string | null
}

export interface Suggestion {
  handle: string
  name: string
  avatarUrl: string | null
  expiresAt: string
}

export interface TandemFriends {
  appFriends?: AppFriend[]
  suggestions?: Suggestion[]
}

export type ExternalChannel = 'copy_link' | 'email'

export type ShareRecipient =
  | { type: 'tandem'; id: string }
  | { type: 'tandem'; handle: string }
  | { type: 'external'; channel: ExternalChannel }

export interface ShareRequest {
  titleId: string
  interface: Interface
  surface: Surface
  note?: string
  recipients: ShareRecipient[]
}

export interface ShareResult {
  id: string
  recipient: unknown
  recipientType: 'tandem' | 'external'
  status: string
  url?: string
  error?: string
}
