import { rmSync } from 'node:fs'
import type { Logger } from 'pino'
import { systemClock } from '../lib/clock.ts'
import { openDb } from '../lib/db.ts'
import { closeOnSignals } from '../lib/http/signals.ts'
import { createLogger } from '../lib/logger.ts'
import { migrateToLatest } from '../lib/migrate.ts'
import { buildTandemApp } from './app.ts'
import { loadTandemConfig, type TandemConfig } from './config.ts'
import type { TandemContext } from './context.ts'
import type { TandemDatabase } from './db.ts'
import { seedTandemDemo } from './demo.ts'
import { migrations } from './migrations/index.ts'

export interface RunningTandem {
  url: string
  /** The running app's shared parts, for the demo script. */
  ctx: TandemContext
  close: () => Promise<void>
}

/** loadConfig → openDb → migrate → buildApp → listen: the only side effects live here. */
export async function startTandem(
  config: TandemConfig,
  options: { logger?: Logger; resetDemo?: boolean; progress?: (step: string) => void } = {},
): Promise<RunningTandem> {
  const logger = options.logger ?? createLogger('tandem', config.logLevel)
  if (options.resetDemo && !config.databaseUrl) rmSync(config.dataDir, { recursive: true, force: true })
  const database = await openDb<TandemDatabase>({ url: config.databaseUrl, dataDir: config.dataDir })
  await migrateToLatest(database.db as never, migrations)
  if (config.demo) await seedTandemDemo(database.db, systemClock, config.publicOrigin, options.progress)
  const { app, ctx } = await buildTandemApp({ config, database, logger })
  await app.listen({ host: config.host, port: config.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  let closing: Promise<void> | undefined
  return {
    url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`,
    ctx,
    close: () => {
      closing ??= app.close().then(() => database.close())
      return closing
    },
  }
}

export { closeOnSignals }

if (import.meta.main) {
  const config = loadTandemConfig()
  const tandem = await startTandem(config)
  closeOnSignals(tandem.close)
  console.log(`Tandem listening on ${tandem.url}`)
}
