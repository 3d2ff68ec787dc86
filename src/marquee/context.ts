import type { Logger } from 'pino'
import type { Clock } from '../lib/clock.ts'
import type { Database } from '../lib/db.ts'
import type { SecretBox } from '../lib/secret-box.ts'
import type { MarqueeConfig } from './config.ts'
import type { Db, MarqueeDatabase } from './db.ts'

/** A title a user started or finished watching; listeners (watch activity on Tandem) react to it. */
export interface WatchEvent {
  userId: string
  titleId: string
  kind: 'watching' | 'finished'
  at: Date
}

export type WatchListener = (event: WatchEvent) => Promise<void>

/** What route modules receive from buildApp: configuration and the shared parts, nothing global. */
export interface MarqueeContext {
  config: MarqueeConfig
  database: Database<MarqueeDatabase>
  db: Db
  clock: Clock
  /** Seals and opens secrets stored in the database. */
  secrets: SecretBox
  log: Logger | undefined
  /** Called after a watch starts or finishes (after commit); a failing listener is logged, never fatal. */
  watchListeners: WatchListener[]
}
