/**
 * The shapes of Tandem's partner API (DESIGN.md section 5). This module depends on neither server;
 * the closed measurement lists come from src/lib, which both servers share.
 */
import type { Interface, Surface } from '../lib/measurement-dimensions.ts'

export type { Interface, Surface }

/** A title as partners describe it; URLs are http(s), names plain text of at most 200 characters. */
export interface Title {
  id: string
  name: string
  imageUrl?: string
  url: string
}

/** `GET /partner/v1/me`: the app-scoped id (pairwise: unrelated across partners) and display name. */
export interface Me {
  id: string
  name: string
}

export interface AppFriend {
  id: string
  name: string
  avatarUrl: string | null
}

export interface Suggestion {
  /** Single-use and expiring; two handles for the same person cannot be linked. */
  handle: string
  name: string
  avatarUrl: string | null
  expiresAt: string
}

/** `GET /partner/v1/friends`: each list is present when the token holds its scope. */
export interface Friends {
  appFriends?: AppFriend[]
  suggestions?: Suggestion[]
}

export interface RecommendationContext {
  interface: Interface
  surface: Surface
  /** The partner's own A/B arm name: `^[a-z0-9_-]{1,40}$`. */
  variant: string
}

export interface Recommendation {
  /** App-scoped ids or suggestion handles, distinct, 1 to 20. */
  recipients: string[]
  title: Title
  note?: string
  context: RecommendationContext
}

export type SendStatus = 'sent' | 'not_delivered'

export interface RecommendationSends {
  sends: Array<{ id: string; recipient: string; status: SendStatus }>
}

export type ActivityKind = 'watching' | 'finished'

export interface Activity {
  title: Title
  kind: ActivityKind
}

export interface PublishedActivity {
  id: string
}

/** `POST /partner/v1/reports` answers 202; reconciliation against Tandem's own counts follows later. */
export interface ReportReceipt {
  id: string
  receivedAt: string
  reconciliation: unknown
}

export interface DeletionReceiptAccepted {
  id: string
  receivedAt: string
}
