import { rmSync } from 'node:fs'
import type { Logger } from 'pino'
import { systemClock } from '../lib/clock.ts'
import { openDb } from '../lib/db.ts'
import { closeOnSignals } from '../lib/http/signals.ts'
import { createLogger } from '../lib/logger.ts'
import { migrateToLatest } from '../lib/migrate.ts'
import { buildMarqueeApp } from './app.ts'
import { loadMarqueeConfig, type MarqueeConfig } from './config.ts'
import type { MarqueeContext } from './context.ts'
import type { MarqueeDatabase } from './db.ts'
import { seedMarqueeDemo } from './demo.ts'
import { migrations } from './migrations/index.ts'

export interface RunningMarquee {
  url: string
  /** The running app's shared parts, for the demo script. */
  ctx: MarqueeContext
  close: () => Promise<void>
}

/** loadConfig → openDb → migrate → buildApp → listen: the only side effects live here. */
export async function startMarquee(
  config: MarqueeConfig,
  options: { logger?: Logger; resetDemo?: boolean; progress?: (step: string) => void } = {},
): Promise<RunningMarquee> {
  const logger = options.logger ?? createLogger('marquee', config.logLevel)
  if (options.resetDemo && !config.databaseUrl) rmSync(config.dataDir, { recursive: true, force: true })
  const database = await openDb<MarqueeDatabase>({ url: config.databaseUrl, dataDir: config.dataDir })
  await migrateToLatest(database.db as never, migrations)
  if (config.demo) await seedMarqueeDemo(database.db, systemClock, options.progress)
  const { app, ctx } = await buildMarqueeApp({ config, database, logger })
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

if (import.meta.main) {
  const marquee = await startMarquee(loadMarqueeConfig())
  closeOnSignals(marquee.close)
  console.log(`Marquee listening on ${marquee.url}`)
}
