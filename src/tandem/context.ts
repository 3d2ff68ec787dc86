import type { Logger } from 'pino'
import type { Clock } from '../lib/clock.ts'
import type { Database } from '../lib/db.ts'
import type { SecretBox } from '../lib/secret-box.ts'
import type { TandemConfig } from './config.ts'
import type { Db, TandemDatabase } from './db.ts'
import type { ClickRecorder } from './links/click-recorder.ts'

/** What route modules receive from buildApp: configuration and the shared parts, nothing global. */
export interface TandemContext {
  config: TandemConfig
  database: Database<TandemDatabase>
  db: Db
  clock: Clock
  clicks: ClickRecorder
  /** Seals and opens secrets stored in the database. */
  secrets: SecretBox
  log: Logger | undefined
}
