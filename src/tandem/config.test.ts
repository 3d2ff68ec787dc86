import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadTandemConfig } from './config.ts'
import { defaultPartnerApiLimits } from './partner-api/limits.ts'

const base = { NODE_ENV: 'test', TANDEM_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }

test('partner API caps and rate limits: defaults unchanged, TANDEM_PARTNER_* override them', () => {
  assert.deepEqual(loadTandemConfig(base).partnerApiLimits, defaultPartnerApiLimits)
  assert.deepEqual(defaultPartnerApiLimits, {
    rateLimit: { max: 60, windowMs: 60_000 },
    senderDailyCap: 50,
    recipientDailyCap: 10,
  })
  const config = loadTandemConfig({
    ...base,
    TANDEM_PARTNER_RATE_LIMIT_MAX: '600',
    TANDEM_PARTNER_RATE_LIMIT_WINDOW_MS: '10000',
    TANDEM_PARTNER_SENDER_DAILY_CAP: '5000',
    TANDEM_PARTNER_RECIPIENT_DAILY_CAP: '0',
  })
  assert.deepEqual(config.partnerApiLimits, {
    rateLimit: { max: 600, windowMs: 10_000 },
    senderDailyCap: 5000,
    recipientDailyCap: 0,
  })
  assert.throws(
    () =>
      loadTandemConfig({ ...base, TANDEM_PARTNER_RATE_LIMIT_MAX: '0', TANDEM_PARTNER_SENDER_DAILY_CAP: 'x' }),
    /TANDEM_PARTNER_RATE_LIMIT_MAX[\s\S]*TANDEM_PARTNER_SENDER_DAILY_CAP/,
  )
})

test('the benchmark-only unguarded twin is off by default, and only ever on loopback', () => {
  assert.equal(loadTandemConfig(base).benchUnguardedKey, undefined)
  const key = 'k'.repeat(40)
  assert.equal(loadTandemConfig({ ...base, TANDEM_BENCH_UNGUARDED_KEY: key }).benchUnguardedKey, key)
  assert.throws(
    () => loadTandemConfig({ ...base, TANDEM_HOST: '0.0.0.0', TANDEM_BENCH_UNGUARDED_KEY: key }),
    /TANDEM_BENCH_UNGUARDED_KEY: only with TANDEM_HOST on loopback/,
  )
  assert.throws(
    () => loadTandemConfig({ ...base, TANDEM_BENCH_UNGUARDED_KEY: 'short' }),
    /TANDEM_BENCH_UNGUARDED_KEY/,
  )
})
