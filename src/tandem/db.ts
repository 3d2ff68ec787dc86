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
  partner_activity_enabled: Generated<boolean>
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
  /** The first click of the flush this row aggregates. */
  clicked_at: Timestamp
  /** How many clicks on the link the flush saw (one row per link per flush; sum it to count clicks). */
  clicks: Generated<number>
}

type Json<T> = ColumnType<T, string, string>

export interface ServerSecretsTable {
  name: string
  value_enc: string
  created_at: Timestamp
}

export interface PartnerAppsTable {
  client_id: string
  name: string
  logo_url: string | null
  homepage_url: string
  privacy_policy_url: string
  redirect_uris: Json<string[]>
  jwks_uri: string | null
  jwks: ColumnType<{ keys: Record<string, unknown>[] } | null, string | null, string | null>
  webhook_url: string | null
  webhook_secret_enc: string
  dpop_bound: Generated<boolean>
  status: Generated<'active' | 'suspended'>
  created_at: Timestamp
  updated_at: Timestamp
}

export type PrivilegedApi = 'inbox' | 'friends' | 'activity' | 'reporting'

export interface AgreementObligations {
  /** A report is due every this many days (the biweekly report: 14). */
  reportEveryDays?: number
  /** Days a partner has to send a deletion receipt after a revocation. */
  deletionReceiptDays?: number
}

export interface AgreementsTable {
  id: string
  client_id: string
  api: PrivilegedApi
  version: number
  valid_from: Timestamp
  valid_until: Timestamp
  ended_at: Timestamp | null
  end_reason: string | null
  obligations: Json<AgreementObligations>
  created_by: string | null
  created_at: Timestamp
}

export interface OidcPayloadsTable {
  model: string
  id_hash: string
  payload: Json<Record<string, unknown>>
  grant_id: string | null
  uid: string | null
  user_code_hash: string | null
  expires_at: Timestamp | null
  consumed_at: Timestamp | null
}

export interface PartnerGrantsTable {
  grant_id: string
  user_id: string
  client_id: string
  scopes: Json<string[]>
  created_at: Timestamp
  updated_at: Timestamp
  revoked_at: Timestamp | null
  revoked_reason: string | null
}

export interface AppSubjectsTable {
  client_id: string
  user_id: string
  sub: string
  created_at: Timestamp
}

export interface LedgerEntriesTable {
  user_id: string
  seq: number
  client_id: string
  scope: string
  action: string
  object_count: number
  purpose: string
  details: Json<Record<string, unknown>>
  created_at: Timestamp
  prev_hash: string
  hash: string
}

export interface WebhookDeliveriesTable {
  id: string
  client_id: string
  event_type: string
  payload: Json<Record<string, unknown>>
  status: 'pending' | 'delivered' | 'failed'
  attempts: Generated<number>
  next_attempt_at: Timestamp | null
  last_status: number | null
  last_error: string | null
  created_at: Timestamp
  delivered_at: Timestamp | null
}

export interface DeletionRequestsTable {
  id: string
  grant_id: string
  user_id: string
  client_id: string
  requested_at: Timestamp
  due_at: Timestamp
  receipt: ColumnType<Record<string, unknown> | null, string | null, string | null>
  receipt_jws: string | null
  received_at: Timestamp | null
}

export interface SuggestionHandlesTable {
  handle_hash: string
  client_id: string
  issued_for: string
  friend_id: string
  created_at: Timestamp
  expires_at: Timestamp
  used_at: Timestamp | null
}

export interface PartnerMutesTable {
  user_id: string
  client_id: string
  created_at: Timestamp
}

export interface PartnerAbuseReportsTable {
  id: string
  user_id: string
  client_id: string
  message_id: string | null
  reason: string
  created_at: Timestamp
}

export interface PartnerSendsTable {
  id: string
  client_id: string
  sender_id: string
  recipient_id: string
  recipient_kind: 'app_friend' | 'suggestion'
  message_id: string | null
  link_id: string | null
  /** The UTC day, as 'YYYY-MM-DD'. */
  day: ColumnType<string, string, string>
  interface: string
  surface: string
  variant: string
  created_at: Timestamp
  first_clicked_at: Timestamp | null
}

export interface PartnerDailyCountsTable {
  client_id: string
  day: ColumnType<string, string, string>
  interface: string
  surface: string
  variant: string
  /** Sends spread over shards (summed by readers); clicks are counted on shard 0. */
  shard: Generated<number>
  sends: Generated<number>
  clicks: Generated<number>
  unique_clicks: Generated<number>
}

export interface ActivityTitle {
  id: string
  name: string
  imageUrl: string | null
  url: string
}

export interface ActivityItemsTable {
  id: string
  user_id: string
  client_id: string
  kind: 'watching' | 'finished'
  title: Json<ActivityTitle>
  created_at: Timestamp
  expires_at: Timestamp
  deleted_at: Timestamp | null
}

export interface PartnerReportsTable {
  id: string
  client_id: string
  period_start: ColumnType<string, string, string>
  period_end: ColumnType<string, string, string>
  status: 'provisional' | 'final'
  supersedes: string | null
  jws: string
  payload: Json<Record<string, unknown>>
  received_at: Timestamp
}

export interface PartnerReportReconciliationsTable {
  report_id: string
  client_id: string
  verdict: 'consistent' | 'discrepant'
  flagged_cells: number
  result: Json<Record<string, unknown>>
  created_at: Timestamp
}

/** One row per user who sent through the Inbox API: the lock that serializes their sends. */
export interface PartnerSenderTurnsTable {
  user_id: string
  /** Bumped by every send of theirs. */
  version: number
}

export interface TandemDatabase {
  partner_reports: PartnerReportsTable
  partner_report_reconciliations: PartnerReportReconciliationsTable
  suggestion_handles: SuggestionHandlesTable
  partner_mutes: PartnerMutesTable
  partner_abuse_reports: PartnerAbuseReportsTable
  partner_sends: PartnerSendsTable
  partner_sender_turns: PartnerSenderTurnsTable
  partner_daily_counts: PartnerDailyCountsTable
  activity_items: ActivityItemsTable
  server_secrets: ServerSecretsTable
  partner_apps: PartnerAppsTable
  agreements: AgreementsTable
  oidc_payloads: OidcPayloadsTable
  partner_grants: PartnerGrantsTable
  app_subjects: AppSubjectsTable
  ledger_entries: LedgerEntriesTable
  webhook_deliveries: WebhookDeliveriesTable
  deletion_requests: DeletionRequestsTable
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
