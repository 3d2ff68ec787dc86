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
  kind: Generated<'film' | 'series'>
  /** Seasons of a series; null for a film. */
  seasons: number | null
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

/** POST /api/shares answered once per (sender, Idempotency-Key). */
export interface ShareRequestsTable {
  user_id: string
  key: string
  request_hash: string
  status: number
  response: ColumnType<unknown, string, string>
  created_at: Timestamp
}

/** One send: one recipient of a share, with its tracked-link token. */
export interface SharesTable {
  id: string
  sender_id: string
  title_id: string
  interface: string
  surface: string
  variant: string
  recipient_type: string
  recipient: string | null
  channel: string | null
  token: string
  status: string
  tandem_send_id: string | null
  created_at: Timestamp
  delivered_at: Timestamp | null
}

export interface EventsTable {
  id: string
  type: string
  send_id: string
  occurred_at: Timestamp
  received_at: Timestamp
  sender_id: string | null
  title_id: string | null
  interface: string | null
  surface: string | null
  variant: string | null
  recipient_type: string | null
  click_class: string | null
  rolled_up: boolean
}

export interface ConfirmedSendsTable {
  send_id: string
  late: boolean
}

/** A UTC calendar day, 'YYYY-MM-DD' (select `day::text`: PGlite returns a Date otherwise). */
type Day = ColumnType<string, string, string>

export interface ShareRollupsTable {
  day: Day
  interface: string
  surface: string
  variant: string
  recipient_type: string
  sends: Generated<number>
  clicks: Generated<number>
  unique_clicks: Generated<number>
  clicked_human: Generated<number>
  clicked_preview_fetch: Generated<number>
  clicked_scanner: Generated<number>
  clicked_unknown: Generated<number>
}

export interface ShareRollupsLateTable extends Omit<ShareRollupsTable, 'sends'> {
  arrived_day: Day
}

export interface SenderDailySendsTable {
  day: Day
  sender_id: string
  interface: string
  surface: string
  variant: string
  recipient_type: string
  sends: Generated<number>
  clicks: Generated<number>
  unique_clicks: Generated<number>
}

/** Per sender per day, the sums of sender_daily_sends over every cell: to find the sender-days to clip. */
export interface SenderDayTotalsTable {
  day: Day
  sender_id: string
  sends: Generated<number>
  clicks: Generated<number>
}

/** Per-sender cell counts of one ingest batch, waiting to be added to the two tables above. */
export interface SenderCountsQueueTable {
  id: Generated<string>
  queued_at: Generated<Timestamp>
  /** 'day|interface|surface|variant|recipient type' */
  cell: string[]
  sender_id: string[]
  sends: number[]
  clicks: number[]
  unique_clicks: number[]
}

/** What clipping a sender-day at the default bound removes from one of its cells (no column defaults). */
export type SenderDayClipsTable = Selectable<SenderDailySendsTable>

/** sender_day_clips summed per cell. */
export type ShareRollupsClippedTable = Pick<
  ShareRollupsTable,
  'day' | 'interface' | 'surface' | 'variant' | 'recipient_type' | 'sends' | 'clicks' | 'unique_clicks'
>

/** The bound and variants the precomputed clipping holds; no row, none. */
export interface ClipPrecomputeTable {
  bound: number
  variants: string[]
}

export interface SigningKeysTable {
  kid: string
  alg: 'EdDSA' | 'ES256'
  public_jwk: ColumnType<Record<string, unknown>, string, string>
  private_jwk_enc: string
  created_at: Timestamp
  /** When it starts signing: a rotated-in key is published first. */
  signs_from: Timestamp
  /** When it stopped (or will stop) signing; published a day after. */
  retired_at: Timestamp | null
}

export interface TandemRegistrationTable {
  id: number
  client_id: string
  webhook_secret_enc: string
  updated_at: Timestamp
}

export interface TandemAuthRequestsTable {
  state_hash: string
  user_id: string
  verifier_enc: string
  nonce: string
  scope: string
  purpose: 'connect' | 'activity'
  return_to: string
  created_at: Timestamp
  expires_at: Timestamp
}

export interface TandemConnectionsTable {
  user_id: string
  subject: string
  grant_id: string | null
  scopes: ColumnType<string[], string, string>
  access_token_enc: string
  access_expires_at: Timestamp
  refresh_token_enc: string | null
  connected_at: Timestamp
  updated_at: Timestamp
}

export interface TandemActivityConsentsTable {
  user_id: string
  enabled: boolean
  consented_at: Timestamp | null
  updated_at: Timestamp
}

export interface TandemWebhookEventsTable {
  id: string
  type: string
  received_at: Timestamp
  data: ColumnType<unknown, string | null, string | null> | null
}

export interface TandemDeletionReceiptsTable {
  request_id: string
  deleted_at: Timestamp
  sent_at: Timestamp
}

/** A version of the biweekly report as Marquee released it (signed). */
export interface ReportVersionsTable {
  id: string
  period_start: Day
  period_end: Day
  status: 'provisional' | 'final'
  supersedes: string | null
  jws: string
  created_at: Timestamp
  /** ε per day this version spent (0006). */
  epsilon_per_day: number | null
  /** Per variant, the noisy sums before clamping (0006). */
  arm_counts: ColumnType<unknown, string | null, string | null> | null
  /** Tandem's receipt id, when delivered (0006). */
  tandem_report_id: string | null
  delivered_at: Timestamp | null
  /** Tandem's reconciliation, as answered on delivery (0006). */
  reconciliation: ColumnType<unknown, string | null, string | null> | null
}

/** ε spent on one UTC day of data by one release. */
export interface PrivacyBudgetLedgerTable {
  release_id: string
  day: Day
  epsilon: number
  created_at: Timestamp
}

/** Every Marquee table; modules add theirs here with their migration. */
export interface MarqueeDatabase {
  users: UsersTable
  sessions: SessionsTable
  titles: TitlesTable
  watch_history: WatchHistoryTable
  share_requests: ShareRequestsTable
  shares: SharesTable
  events: EventsTable
  confirmed_sends: ConfirmedSendsTable
  share_rollups: ShareRollupsTable
  share_rollups_late: ShareRollupsLateTable
  sender_daily_sends: SenderDailySendsTable
  sender_day_totals: SenderDayTotalsTable
  sender_counts_queue: SenderCountsQueueTable
  sender_day_clips: SenderDayClipsTable
  share_rollups_clipped: ShareRollupsClippedTable
  clip_precompute: ClipPrecomputeTable
  report_versions: ReportVersionsTable
  privacy_budget_ledger: PrivacyBudgetLedgerTable
  signing_keys: SigningKeysTable
  tandem_registration: TandemRegistrationTable
  tandem_auth_requests: TandemAuthRequestsTable
  tandem_connections: TandemConnectionsTable
  tandem_activity_consents: TandemActivityConsentsTable
  tandem_webhook_events: TandemWebhookEventsTable
  tandem_deletion_receipts: TandemDeletionReceiptsTable
}

export type Db = Kysely<MarqueeDatabase> | Transaction<MarqueeDatabase>
export type User = Selectable<UsersTable>
export type Title = Selectable<TitlesTable>
