import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { z } from 'zod'
import { envBoolean, envPort, parseEnv, type RuntimeEnv, sharedEnv } from '../lib/config.ts'
import { resolveSecretKey } from '../lib/secret-box.ts'

export interface MarqueeConfig {
  env: RuntimeEnv
  host: string
  port: number
  /** The origin browsers use to reach Marquee: cookies, tracked links and the OAuth redirect derive from it. */
  publicOrigin: string
  databaseUrl: string | undefined
  dataDir: string
  logLevel: string
  /** Where the built web client lives; absent means the API only. */
  webDir: string | undefined
  demo: boolean
  sessionTtlDays: number
  loginRateLimit: { max: number; windowMs: number }
  /** Encrypts secrets at rest (refresh tokens, the signing key, the webhook secret). */
  secretKey: Buffer
  tandem: {
    /** Tandem's issuer (its origin); discovery is read from `<issuer>/.well-known/openid-configuration`. */
    issuer: string
    /** Marquee's client id at Tandem, when given by the environment (otherwise read from the database). */
    clientId: string | undefined
    /** The webhook secret Tandem issued at registration, when given by the environment. */
    webhookSecret: string | undefined
  }
  /** The biweekly report's schedule; absent or `schedule: false` (tests) runs no timer. */
  reports?: {
    schedule: boolean
    /** A period's first day, 'YYYY-MM-DD': periods are the 14-day steps from it. */
    epoch: string
    checkEveryMs: number
  }
}

const schema = z.object({
  ...sharedEnv,
  MARQUEE_HOST: z.string().default('127.0.0.1'),
  MARQUEE_PORT: envPort(4000),
  MARQUEE_PUBLIC_ORIGIN: z.url().optional(),
  MARQUEE_DATABASE_URL: z.string().min(1).optional(),
  MARQUEE_WEB_DIR: z.string().optional(),
  MARQUEE_DEMO: envBoolean.default(false),
  MARQUEE_SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  MARQUEE_SECRET_KEY: z.string().optional(),
  TANDEM_ISSUER: z.url().optional(),
  TANDEM_PORT: envPort(3000),
  MARQUEE_TANDEM_CLIENT_ID: z.string().min(1).max(200).optional(),
  MARQUEE_TANDEM_WEBHOOK_SECRET: z.string().min(16).max(500).optional(),
  MARQUEE_REPORT_SCHEDULE: envBoolean.default(false),
  MARQUEE_REPORT_EPOCH: z.iso.date().default('2026-01-05'),
  MARQUEE_REPORT_CHECK_MINUTES: z.coerce.number().int().min(1).max(1440).default(60),
})

export function loadMarqueeConfig(env: Record<string, string | undefined> = process.env): MarqueeConfig {
  const e = parseEnv(schema, env)
  const dataDir = join(e.DATA_DIR, 'marquee')
  return Object.freeze({
    env: e.NODE_ENV,
    host: e.MARQUEE_HOST,
    port: e.MARQUEE_PORT,
    publicOrigin: (e.MARQUEE_PUBLIC_ORIGIN ?? `http://localhost:${e.MARQUEE_PORT}`).replace(/\/$/, ''),
    databaseUrl: e.MARQUEE_DATABASE_URL,
    dataDir,
    logLevel: e.LOG_LEVEL,
    webDir: e.MARQUEE_WEB_DIR ?? join(import.meta.dirname, '../../dist/marquee-web'),
    demo: e.MARQUEE_DEMO,
    sessionTtlDays: e.MARQUEE_SESSION_TTL_DAYS,
    loginRateLimit: { max: 10, windowMs: 60_000 },
    secretKey: resolveSecretKey(
      e.MARQUEE_SECRET_KEY,
      e.NODE_ENV,
      join(dataDir, '..', 'marquee-secret.key'),
      'MARQUEE_SECRET_KEY',
    ),
    tandem: {
      issuer: (e.TANDEM_ISSUER ?? `http://localhost:${e.TANDEM_PORT}`).replace(/\/$/, ''),
      clientId: e.MARQUEE_TANDEM_CLIENT_ID,
      webhookSecret: e.MARQUEE_TANDEM_WEBHOOK_SECRET,
    },
    reports: {
      schedule: e.MARQUEE_REPORT_SCHEDULE,
      epoch: e.MARQUEE_REPORT_EPOCH,
      checkEveryMs: e.MARQUEE_REPORT_CHECK_MINUTES * 60_000,
    },
  })
}

/** A config for tests: everything explicit, nothing read from the environment. */
export function testMarqueeConfig(overrides: Partial<MarqueeConfig> = {}): MarqueeConfig {
  return Object.freeze({
    env: 'test',
    host: '127.0.0.1',
    port: 0,
    publicOrigin: 'http://localhost:4000',
    databaseUrl: undefined,
    dataDir: '',
    logLevel: 'silent',
    webDir: undefined,
    demo: false,
    sessionTtlDays: 30,
    loginRateLimit: { max: 10, windowMs: 60_000 },
    secretKey: randomBytes(32),
    tandem: { issuer: 'http://localhost:3000', clientId: undefined, webhookSecret: undefined },
    ...overrides,
  })
}
