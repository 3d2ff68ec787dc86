import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { z } from 'zod'
import { envBoolean, envPort, parseEnv, type RuntimeEnv, sharedEnv } from '../lib/config.ts'
import { resolveSecretKey } from '../lib/secret-box.ts'
import { defaultPartnerApiLimits, type PartnerApiLimits } from './partner-api/limits.ts'

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
  /** Encrypts secrets at rest (webhook keys, signing keys); from TANDEM_SECRET_KEY, or a file under the data folder in development. */
  secretKey: Buffer
  oauth: {
    accessTokenTtlSeconds: number
    /** A refresh token unused this long expires (SECURITY.md row 18). */
    refreshTokenIdleDays: number
  }
  /** Run the webhook dispatcher (tests drive it by hand with runOnce instead). */
  dispatchWebhooks: boolean
  /** Partner URLs may be http on loopback (development and tests only, SECURITY.md rows 3 and 43). */
  allowLoopbackPartnerUrls: boolean
  /** Daily caps and rate limits of the privileged partner APIs (privacy rule 5); TANDEM_PARTNER_*. */
  partnerApiLimits: PartnerApiLimits
  /**
   * TANDEM_BENCH_UNGUARDED_KEY, for the partner-read benchmark only: when set, GET /partner/v1/me gets a
   * twin without the partner guard (me.routes.ts), answered only to callers sending this key, and the
   * server must listen on loopback. No deployment sets it.
   */
  benchUnguardedKey: string | undefined
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost'])

const schema = z.object({
  ...sharedEnv,
  TANDEM_HOST: z.string().default('127.0.0.1'),
  TANDEM_PORT: envPort(3000),
  TANDEM_PUBLIC_ORIGIN: z.url().optional(),
  TANDEM_DATABASE_URL: z.string().min(1).optional(),
  TANDEM_WEB_DIR: z.string().optional(),
  TANDEM_DEMO: envBoolean.default(false),
  TANDEM_SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  TANDEM_CLICK_FLUSH_MS: z.coerce.number().int().min(10).max(1000).default(250),
  TANDEM_SECRET_KEY: z.string().optional(),
  TANDEM_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  TANDEM_REFRESH_TOKEN_IDLE_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  TANDEM_PARTNER_RATE_LIMIT_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(defaultPartnerApiLimits.rateLimit.max),
  TANDEM_PARTNER_RATE_LIMIT_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(86_400_000)
    .default(defaultPartnerApiLimits.rateLimit.windowMs),
  TANDEM_PARTNER_SENDER_DAILY_CAP: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(defaultPartnerApiLimits.senderDailyCap),
  TANDEM_PARTNER_RECIPIENT_DAILY_CAP: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(defaultPartnerApiLimits.recipientDailyCap),
  TANDEM_BENCH_UNGUARDED_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{32,}$/, 'at least 32 characters of A-Z, a-z, 0-9, _ and -')
    .optional(),
})

export function loadTandemConfig(env: Record<string, string | undefined> = process.env): TandemConfig {
  const e = parseEnv(schema, env)
  if (e.TANDEM_BENCH_UNGUARDED_KEY !== undefined && !LOOPBACK_HOSTS.has(e.TANDEM_HOST)) {
    // The unguarded twin is for a benchmark on one machine: never on an address others can reach.
    throw new Error(
      'invalid configuration:\n  TANDEM_BENCH_UNGUARDED_KEY: only with TANDEM_HOST on loopback (127.0.0.1, ::1, localhost)',
    )
  }
  const dataDir = join(e.DATA_DIR, 'tandem')
  return Object.freeze({
    env: e.NODE_ENV,
    host: e.TANDEM_HOST,
    port: e.TANDEM_PORT,
    publicOrigin: (e.TANDEM_PUBLIC_ORIGIN ?? `http://localhost:${e.TANDEM_PORT}`).replace(/\/$/, ''),
    databaseUrl: e.TANDEM_DATABASE_URL,
    dataDir,
    logLevel: e.LOG_LEVEL,
    webDir: e.TANDEM_WEB_DIR ?? join(import.meta.dirname, '../../dist/tandem-web'),
    demo: e.TANDEM_DEMO,
    sessionTtlDays: e.TANDEM_SESSION_TTL_DAYS,
    clickFlushMs: e.TANDEM_CLICK_FLUSH_MS,
    loginRateLimit: { max: 10, windowMs: 60_000 },
    secretKey: resolveSecretKey(
      e.TANDEM_SECRET_KEY,
      e.NODE_ENV,
      join(dataDir, '..', 'tandem-secret.key'),
      'TANDEM_SECRET_KEY',
    ),
    oauth: {
      accessTokenTtlSeconds: e.TANDEM_ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenIdleDays: e.TANDEM_REFRESH_TOKEN_IDLE_DAYS,
    },
    allowLoopbackPartnerUrls: e.NODE_ENV !== 'production',
    dispatchWebhooks: true,
    partnerApiLimits: {
      rateLimit: { max: e.TANDEM_PARTNER_RATE_LIMIT_MAX, windowMs: e.TANDEM_PARTNER_RATE_LIMIT_WINDOW_MS },
      senderDailyCap: e.TANDEM_PARTNER_SENDER_DAILY_CAP,
      recipientDailyCap: e.TANDEM_PARTNER_RECIPIENT_DAILY_CAP,
    },
    benchUnguardedKey: e.TANDEM_BENCH_UNGUARDED_KEY,
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
    secretKey: randomBytes(32),
    oauth: { accessTokenTtlSeconds: 300, refreshTokenIdleDays: 30 },
    allowLoopbackPartnerUrls: true,
    dispatchWebhooks: false,
    partnerApiLimits: defaultPartnerApiLimits,
    benchUnguardedKey: undefined,
    ...overrides,
  })
}
