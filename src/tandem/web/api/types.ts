export interface PublicUser {
  id: string
  username: string
  displayName: string
}

export interface Me extends PublicUser {
  isAdmin: boolean
  allowSuggestions: boolean
  partnerActivityEnabled: boolean
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

/** What a partner app reported the user watching; every field but the ids is the partner's text. */
export interface ActivityItem {
  id: string
  kind: 'watching' | 'finished'
  title: { id: string; name: string; imageUrl: string | null; url: string }
  partner: { clientId: string; name: string }
  createdAt: string
}

/** A partner the user muted: its messages no longer reach them. */
export interface MutedPartner {
  clientId: string
  name: string
  mutedAt: string
}

export type RealtimeFrame =
  | { type: 'hello'; userId: string }
  | { type: 'pong' }
  | { type: 'message.created'; threadId: string; messageId: string; message?: Message }
  | { type: 'thread.read'; threadId: string; lastReadSeq: number }
  | { type: 'thread.created'; threadId: string }
  | { type: 'friends.changed' }

// Partner platform: connected apps and the access ledger (what a user sees of the partners).

export interface ScopeGrant {
  scope: string
  purpose: string
}

export interface ConnectedApp {
  clientId: string
  name: string
  homepageUrl: string
  privacyPolicyUrl: string
  scopes: ScopeGrant[]
  connectedAt: string
  updatedAt: string
}

export type DeletionStatus = 'requested' | 'received' | 'overdue'

export interface DeletionRequest {
  id: string
  requestedAt: string
  dueAt: string
  status: DeletionStatus
  receivedAt: string | null
  receipt: { deletedAt: string; categories: string[] } | null
}

export interface DisconnectedApp {
  clientId: string
  name: string
  homepageUrl: string
  privacyPolicyUrl: string
  disconnectedAt: string
  deletion: DeletionRequest | null
}

export interface LedgerEntry {
  id: string
  seq: number
  clientId: string
  scope: string
  action: string
  objectCount: number
  purpose: string
  details: Record<string, unknown>
  createdAt: string
  hash: string
  prevHash: string
}

export type LedgerVerification =
  | { ok: true; entries: number; head: string | null }
  | {
      ok: false
      entries: number
      brokenAt: { seq: number; reason: 'hash_mismatch' | 'chain_broken' | 'gap' }
    }

// Partner platform: the admin console.

export type PrivilegedApi = 'inbox' | 'friends' | 'activity' | 'reporting'

export interface Partner {
  id: string
  clientId: string
  name: string
  logoUrl: string | null
  homepageUrl: string
  privacyPolicyUrl: string
  redirectUris: string[]
  jwksUri: string | null
  jwks: { keys?: unknown[] } | null
  webhookUrl: string | null
  dpopBoundAccessTokens: boolean
  status: 'active' | 'suspended'
  createdAt: string
  updatedAt: string
}

export interface NewPartner {
  name: string
  clientId?: string
  homepageUrl: string
  privacyPolicyUrl: string
  redirectUris: string[]
  jwksUri?: string
  jwks?: Record<string, unknown>
  webhookUrl?: string
}

export type AgreementStatus = 'active' | 'lapsed' | 'ended' | 'future'

export interface Obligations {
  reportEveryDays?: number
  deletionReceiptDays?: number
}

export interface Agreement {
  id: string
  clientId: string
  api: PrivilegedApi
  version: number
  scopes: string[]
  validFrom: string
  validUntil: string
  endedAt: string | null
  endReason: string | null
  obligations: Obligations
  createdBy: string | null
  createdAt: string
  status: AgreementStatus
}

export interface NewAgreements {
  clientId: string
  apis: PrivilegedApi[]
  validUntil: string
  obligations?: Obligations
}

export interface ReportPeriod {
  periodStart: string
  /** Exclusive. */
  periodEnd: string
  dueAt: string
  status: 'received' | 'due' | 'late'
  receivedAt?: string
}

export interface Compliance {
  clientId: string
  name: string
  status: 'active' | 'suspended'
  inAgreement: boolean
  agreements: Pick<
    Agreement,
    'id' | 'api' | 'version' | 'validFrom' | 'validUntil' | 'endedAt' | 'endReason' | 'status'
  >[]
  reports: { everyDays: number | null; due: ReportPeriod[] }
  deletionReceipts: { outstanding: number; overdue: number; received: number }
  grants: { active: number; revoked: number }
  /** Users who muted the partner, and reports about messages it sent. */
  recipientControls: { muted: number; reports: number }
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed'

export interface WebhookDelivery {
  id: string
  type: string
  status: DeliveryStatus
  attempts: number
  lastStatus: number | null
  lastError: string | null
  createdAt: string
  deliveredAt: string | null
  nextAttemptAt: string | null
}
