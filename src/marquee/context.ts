import type { Logger } from 'pino'
import type { Clock } from '../lib/clock.ts'
import type { Database } from '../lib/db.ts'
import type { SecretBox } from '../lib/secret-box.ts'
import type { TandemPartnerClient } from '../partner-sdk/index.ts'
import type { MarqueeConfig } from './config.ts'
import type { Db, MarqueeDatabase } from './db.ts'
import type { RecentSends } from './events/recent-sends.ts'
import type { SenderCountsWorker } from './events/sender-counts.ts'

/** A title a user started or finished watching; listeners (watch activity on Tandem) react to it. */
export interface WatchEvent {
  userId: string
  titleId: string
  kind: 'watching' | 'finished'
  at: Date
}

export type WatchListener = (event: WatchEvent) => Promise<void>

/** Marquee's side of the Tandem connection, as the sharing and activity modules need it. */
export interface TandemLink {
  /**
   * A partner-API client acting for this user with the scopes they granted, or undefined when they have
   * not connected Tandem (or revoked it). Access tokens are refreshed inside the client as needed.
   */
  clientFor(userId: string): Promise<{ client: TandemPartnerClient; scopes: string[] } | undefined>
}

/** What route modules receive from buildApp: configuration and the shared parts, nothing global. */
export interface MarqueeContext {
  config: MarqueeConfig
  database: Database<MarqueeDatabase>
  db: Db
  clock: Clock
  /** Adds the per-sender counts that batched ingest (POST /events) queues, on its own connection. */
  senderCounts: SenderCountsWorker
  /** The sends batched ingest (POST /events) recorded or looked up lately, so their clicks need no lookup. */
  recentSends: RecentSends
  /** Seals and opens secrets stored in the database. */
  secrets: SecretBox
  log: Logger | undefined
  /** Called after a watch starts or finishes (after commit); a failing listener is logged, never fatal. */
  watchListeners: WatchListener[]
  /** Replaced by the tandem-link module when it is wired; by default nobody is connected. */
  tandem: TandemLink
  /**
   * Marquee user ids of this user's friends who also use Marquee, for "friends who might like this";
   * absent (the default) means no friends are known. The tandem-link module may set it.
   */
  friendsOf?: (userId: string) => Promise<string[]>
}
