import { join } from 'node:path'
import { z } from 'zod'
import { envBoolean, parseEnv, type RuntimeEnv, runtimeEnv } from '../lib/config.ts'

export interface TandemConfig {
  env: RuntimeEnv
  host: string
  port: number
  /** The origin browsers and partners use to reach Tandem: cookies, links and the OAuth issuer derive from it. */
  publicOrigin: string
  databaseUrl: string | undefined
  dataDir: string
  logLevel: string
  /** Where the built web client lives; absent means the API only. */
  webDir: string | undefined
  demo: boolean
  sessionTtlDays: number
  /** Longest wait before an acknowledged link click is on disk. */
  clickFlushMs: number
  loginRateLimit: { max: number; windowMs: number }
}

const schema = z.object({
  NODE_ENV: runtimeEnv.default('development'),
  TANDEM_HOST: z.string().default('127.0.0.1'),
  TANDEM_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  TANDEM_PUBLIC_ORIGIN: z.url().optional(),
  TANDEM_DATABASE_URL: z.string().min(1).optional(),
  DATA_DIR: z.string().default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TANDEM_WEB_DIR: z.string().optional(),
  TANDEM_DEMO: envBoolean.default(false),
  TANDEM_SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  TANDEM_CLICK_FLUSH_MS: z.coerce.number().int().min(10).max(1000).default(250),
})

export function loadTandemConfig(env: Record<string, string | undefined> = process.env): TandemConfig {
  const e = parseEnv(schema, env)
  return Object.freeze({
    env: e.NODE_ENV,
    host: e.TANDEM_HOST,
    port: e.TANDEM_PORT,
    publicOrigin: (e.TANDEM_PUBLIC_ORIGIN ?? `http://localhost:${e.TANDEM_PORT}`).replace(/\/$/, ''),
    databaseUrl: e.TANDEM_DATABASE_URL,
    dataDir: join(e.DATA_DIR, 'tandem'),
    logLevel: e.LOG_LEVEL,
    webDir: e.TANDEM_WEB_DIR ?? join(import.meta.dirname, '../../dist/tandem-web'),
    demo: e.TANDEM_DEMO,
    sessionTtlDays: e.TANDEM_SESSION_TTL_DAYS,
    clickFlushMs: e.TANDEM_CLICK_FLUSH_MS,
    loginRateLimit: { max: 10, windowMs: 60_000 },
  })
}

/** A config for tests: everything explicit, nothing read from the environment. */
export function testTandemConfig(overrides: Partial<TandemConfig> = {}): TandemConfig {
  return Object.freeze({
    env: 'test',
    host: '127.0.0.1',
    port: 0,
    publicOrigin: 'http://localhost:3000',
    databaseUrl: undefined,
    dataDir: '',
    logLevel: 'silent',
    webDir: undefined,
    demo: false,
    sessionTtlDays: 30,
    clickFlushMs: 50,
    loginRateLimit: { max: 10, windowMs: 60_000 },
    ...overrides,
  })
}
