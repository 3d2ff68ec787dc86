import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { ManualClock } from '../../lib/clock.ts'
import { openDb } from '../../lib/db.ts'
import { randomToken } from '../../lib/ids.ts'
import type { HostLookup } from '../../lib/net-guard.ts'
import { SecretBox } from '../../lib/secret-box.ts'
import { createTestDatabase, type TestDatabase } from '../../lib/testing/test-db.ts'
import { MemoryReplayCache, signWebhook, verifyWebhook } from '../../lib/webhook-signature.ts'
import { signUp } from '../accounts/accounts.service.ts'
import { buildTandemApp } from '../app.ts'
import { testTandemConfig } from '../config.ts'
import type { TandemDatabase } from '../db.ts'
import { migrations } from '../migrations/index.ts'
import { sessionCookieFrom } from '../testing.ts'
import { enqueueAgreementWebhook, enqueueRevocationWebhooks } from './webhooks.events.ts'
import { registerWebhookRoutes } from './webhooks.routes.ts'
import {
  enqueueWebhook,
  MAX_ATTEMPTS,
  newWebhookSecret,
  RETRY_DELAYS_MS,
  rotateWebhookSecret,
  sealWebhookSecret,
  type WebhookContext,
  WebhookDispatcher,
  webhookSecretContext,
} from './webhooks.service.ts'

const headerValue = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined)

interface Received {
  path: string
  headers: IncomingHttpHeaders
  signature: string | undefined
  body: string
  /** The receiver's clock when the request arrived, in unix seconds. */
  at: number
}

/** A partner's webhook endpoint on 127.0.0.1: records every request and answers as told. */
class Receiver {
  requests: Received[] = []
  answer: (req: Received) => { status: number; headers?: Record<string, string> } | 'hang' = () => ({
    status: 204,
  })
  #server: Server
  #clock: ManualClock

  constructor(clock: ManualClock) {
    this.#clock = clock
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const received = {
          path: req.url ?? '',
          headers: req.headers,
          signature: headerValue(req.headers['tandem-signature']),
          body: Buffer.concat(chunks).toString('utf8'),
          at: Math.floor(this.#clock.now().getTime() / 1000),
        }
        this.requests.push(received)
        const answer = this.answer(received)
        if (answer === 'hang') return
        res.writeHead(answer.status, answer.headers).end()
      })
    })
  }

  async start(): Promise<this> {
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
    return this
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    this.#server.close()
    await once(this.#server, 'close')
  }
}

let database: TestDatabase<TandemDatabase>
let ctx: WebhookContext
let clock: ManualClock
let receiver: Receiver
const logLines: Record<string, unknown>[] = []

before(async () => {
  database = await createTestDatabase<TandemDatabase>('tandem', migrations)
  clock = new ManualClock('2026-03-02T09:00:00Z')
  const config = testTandemConfig()
  ctx = {
    config,
    database,
    db: database.db,
    clock,
    secrets: new SecretBox(config.secretKey),
    log: pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) }),
  }
})
after(() => database.drop())
// A fresh receiver per test: a request still in flight from an earlier test cannot land in this one.
beforeEach(async () => {
  receiver = await new Receiver(clock).start()
})
afterEach(async () => {
  await receiver.close()
  logLines.length = 0
  await database.db.deleteFrom('webhook_deliveries').execute()
})

/** Inserts a partner the way registration does: the secret only in sealed form. */
async function makePartner(options: { webhookUrl?: string | null; on?: WebhookContext } = {}) {
  const on = options.on ?? ctx
  const clientId = `client_${randomToken(9)}`
  const secret = newWebhookSecret()
  const now = clock.now()
  await on.db
    .insertInto('partner_apps')
    .values({
      client_id: clientId,
      name: 'Marquee',
      homepage_url: 'https://marquee.example',
      privacy_policy_url: 'https://marquee.example/privacy',
      redirect_uris: JSON.stringify(['https://marquee.example/auth/tandem/callback']),
      jwks: JSON.stringify({ keys: [] }),
      webhook_url: options.webhookUrl === undefined ? receiver.url() : options.webhookUrl,
      webhook_secret_enc: sealWebhookSecret(on.secrets, clientId, secret),
      created_at: now,
      updated_at: now,
    })
    .execute()
  return { clientId, secret }
}

async function enqueue(
  clientId: string,
  data: Record<string, unknown> = { grantId: 'g1', sub: 'app-user-1' },
) {
  return ctx.db
    .transaction()
    .execute((trx) => enqueueWebhook(trx, clock, { clientId, type: 'grant.revoked', data }))
}

async function delivery(id: string) {
  return ctx.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000)

describe('webhook delivery', () => {
  test('an event is delivered signed, and the receiver verifies it (SECURITY row 44)', async () => {
    const { clientId, secret } = await makePartner()
    const { id } = await enqueue(clientId)
    const dispatcher = new WebhookDispatcher(ctx)
    assert.equal(await dispatcher.runOnce(), 1)

    assert.equal(receiver.requests.length, 1)
    const [req] = receiver.requests
    assert.ok(req)
    assert.equal(req.path, '/hook')
    assert.equal(req.headers['content-type'], 'application/json')
    assert.equal(req.headers['tandem-event-id'], id)
    assert.equal(req.headers['tandem-event-type'], 'grant.revoked')
    assert.deepEqual(verifyWebhook(secret, req.signature, req.body, req.at), {
      ok: true,
      timestamp: seconds(clock.now()),
    })
    assert.deepEqual(JSON.parse(req.body), {
      id,
      type: 'grant.revoked',
      createdAt: clock.now().toISOString(),
      data: { grantId: 'g1', sub: 'app-user-1' },
    })

    const row = await delivery(id)
    assert.equal(row.status, 'delivered')
    assert.equal(row.attempts, 1)
    assert.equal(row.last_status, 204)
    assert.equal(row.last_error, null)
    assert.equal(row.next_attempt_at, null)
    assert.deepEqual(row.delivered_at, clock.now())
    assert.deepEqual(
      logLines.map((l) => [l.msg, l.deliveryId, l.attempt, l.status, l.outcome]),
      [['webhook delivered', id, 1, 204, 'delivered']],
    )
    assert.equal(await dispatcher.runOnce(), 0, 'a delivered event is not sent again')
  })

  test('failures are retried with growing delays, each attempt signed afresh and recorded', async () => {
    const { clientId, secret } = await makePartner()
    const { id } = await enqueue(clientId)
    let failures = 3
    receiver.answer = () => (failures-- > 0 ? { status: 500 } : { status: 200 })
    const dispatcher = new WebhookDispatcher(ctx)
    let previousDelay = 0
    for (let attempt = 1; attempt <= 3; attempt++) {
      assert.equal(await dispatcher.runOnce(), 1)
      const row = await delivery(id)
      assert.deepEqual(
        [row.status, row.attempts, row.last_status, row.last_error],
        ['pending', attempt, 500, 'http_500'],
      )
      const delay = row.next_attempt_at!.getTime() - clock.now().getTime()
      const base = RETRY_DELAYS_MS[attempt - 1]!
      assert.ok(delay >= base && delay <= base * 1.2, `attempt ${attempt}: waits ${delay} ms`)
      assert.ok(delay > previousDelay, 'each wait is longer than the last')
      previousDelay = delay
      clock.advance(delay - 1)
      assert.equal(await dispatcher.runOnce(), 0, 'not due a millisecond early')
      clock.advance(1)
    }
    assert.equal(await dispatcher.runOnce(), 1)
    const row = await delivery(id)
    assert.deepEqual([row.status, row.attempts, row.last_status, row.last_error], ['delivered', 4, 200, null])

    assert.equal(receiver.requests.length, 4)
    const eventIds = new Set(receiver.requests.map((r) => r.headers['tandem-event-id']))
    assert.deepEqual([...eventIds], [id], 'retries keep the event id')
    assert.equal(new Set(receiver.requests.map((r) => r.body)).size, 1, 'and the body')
    for (const r of receiver.requests) {
      assert.equal(verifyWebhook(secret, r.signature, r.body, r.at).ok, true)
    }
    assert.deepEqual(
      logLines.map((l) => [l.attempt, l.status, l.outcome]),
      [
        [1, 500, 'retry'],
        [2, 500, 'retry'],
        [3, 500, 'retry'],
        [4, 200, 'delivered'],
      ],
    )
  })

  test(`after ${MAX_ATTEMPTS} failed attempts a delivery is failed`, async () => {
    const { clientId } = await makePartner()
    const { id } = await enqueue(clientId)
    receiver.answer = () => ({ status: 503 })
    const dispatcher = new WebhookDispatcher(ctx, { random: () => 0 })
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      assert.equal(await dispatcher.runOnce(), 1, `attempt ${attempt}`)
      const row = await delivery(id)
      if (attempt < MAX_ATTEMPTS) clock.set(row.next_attempt_at!)
    }
    const row = await delivery(id)
    assert.deepEqual(
      [row.status, row.attempts, row.last_status, row.last_error, row.next_attempt_at],
      ['failed', MAX_ATTEMPTS, 503, 'http_503', null],
    )
    assert.equal(receiver.requests.length, MAX_ATTEMPTS)
    assert.equal(logLines.at(-1)?.outcome, 'failed')
    clock.advance(7 * 86_400_000)
    assert.equal(await dispatcher.runOnce(), 0)
  })

  test('a replayed or re-signed delivery is rejected by the receiver (SECURITY row 44)', async () => {
    const { clientId, secret } = await makePartner()
    const { id } = await enqueue(clientId)
    await new WebhookDispatcher(ctx).runOnce()
    const [req] = receiver.requests
    assert.ok(req)
    const header = req.signature
    const now = req.at

    assert.equal(verifyWebhook(secret, header, req.body, now).ok, true)
    const cache = new MemoryReplayCache()
    assert.equal(cache.remember(id, now, now), true)
    assert.equal(cache.remember(id, now, now + 60), false, 'a replay within the window is a repeat')
    assert.deepEqual(verifyWebhook(secret, header, req.body, now + 301), { ok: false, reason: 'stale' })

    const forged = JSON.stringify({ ...JSON.parse(req.body), data: { grantId: 'someone-else' } })
    assert.deepEqual(verifyWebhook(secret, header, forged, now), { ok: false, reason: 'bad_signature' })
    const resigned = signWebhook(newWebhookSecret(), forged, now)
    assert.deepEqual(verifyWebhook(secret, resigned, forged, now), { ok: false, reason: 'bad_signature' })
    const refreshed = String(header).replace(/^t=\d+/, `t=${now + 301}`)
    assert.deepEqual(verifyWebhook(secret, refreshed, req.body, now + 301), {
      ok: false,
      reason: 'bad_signature',
    })
  })

  test('the webhook secret is stored sealed, never in clear; rotation changes the signing key (SECURITY row 44)', async () => {
    const { clientId, secret } = await makePartner()
    assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/)
    const stored = await ctx.db
      .selectFrom('partner_apps')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirstOrThrow()
    assert.ok(!JSON.stringify(stored).includes(secret.slice(6)), 'no trace of the secret in the row')
    assert.match(stored.webhook_secret_enc, /^v1\./)
    assert.equal(ctx.secrets.open(stored.webhook_secret_enc, webhookSecretContext(clientId)), secret)
    assert.throws(() => ctx.secrets.open(stored.webhook_secret_enc, webhookSecretContext('client_other')))

    const rotated = await rotateWebhookSecret(ctx.db, ctx.secrets, clientId, clock)
    assert.notEqual(rotated, secret)
    const after = await ctx.db
      .selectFrom('partner_apps')
      .select('webhook_secret_enc')
      .where('client_id', '=', clientId)
      .executeTakeFirstOrThrow()
    assert.ok(!after.webhook_secret_enc.includes(rotated.slice(6)))

    const { id } = await enqueue(clientId)
    await new WebhookDispatcher(ctx).runOnce()
    const [req] = receiver.requests
    assert.ok(req)
    assert.equal(verifyWebhook(rotated, req.signature, req.body, req.at).ok, true)
    assert.deepEqual(verifyWebhook(secret, req.signature, req.body, req.at), {
      ok: false,
      reason: 'bad_signature',
    })
    const row = await delivery(id)
    assert.ok(!JSON.stringify(row).includes(rotated.slice(6)), 'nor in the delivery log')
    await assert.rejects(rotateWebhookSecret(ctx.db, ctx.secrets, 'client_missing', clock), {
      code: 'partner_not_found',
    })
  })

  test('in production, webhook URLs at internal addresses are never called (SECURITY row 43)', async () => {
    const production: WebhookContext = {
      ...ctx,
      config: testTandemConfig({
        env: 'production',
        allowLoopbackPartnerUrls: false,
        secretKey: ctx.config.secretKey,
      }),
    }
    const lookup: HostLookup = async (host) => {
      if (host === 'hooks.partner.example') return [{ address: '10.0.0.1' }]
      if (host === 'meta.partner.example') return [{ address: '169.254.169.254' }]
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
    }
    const port = receiver.port
    const cases: [string, string][] = [
      ['https://10.0.0.1/hook', 'unsafe_url: the URL points to an internal address'],
      [`https://127.0.0.1:${port}/hook`, 'unsafe_url: the URL points to an internal address'],
      [`https://[::1]:${port}/hook`, 'unsafe_url: the URL points to an internal address'],
      ['https://169.254.169.254/latest/meta-data', 'unsafe_url: the URL points to an internal address'],
      ['https://hooks.partner.example/hook', 'unsafe_url: the URL points to an internal address'],
      ['https://meta.partner.example/hook', 'unsafe_url: the URL points to an internal address'],
      [`http://127.0.0.1:${port}/hook`, 'unsafe_url: the URL must use https'],
      ['http://10.0.0.1/hook', 'unsafe_url: the URL must use https'],
    ]
    const ids: string[] = []
    for (const [url] of cases) {
      const { clientId } = await makePartner({ webhookUrl: url })
      ids.push((await enqueue(clientId)).id)
    }
    const dispatcher = new WebhookDispatcher(production, { lookup })
    assert.equal(await dispatcher.runOnce(), cases.length)
    for (const [i, [url, error]] of cases.entries()) {
      const row = await delivery(ids[i]!)
      assert.deepEqual([row.status, row.last_status, row.last_error], ['failed', null, error], url)
    }
    assert.deepEqual(receiver.requests, [], 'nothing reached the loopback receiver')
  })

  test('a name that does not resolve is retried, not given up at once', async () => {
    const production: WebhookContext = {
      ...ctx,
      config: testTandemConfig({
        env: 'production',
        allowLoopbackPartnerUrls: false,
        secretKey: ctx.config.secretKey,
      }),
    }
    const { clientId } = await makePartner({ webhookUrl: 'https://hooks.gone.example/hook' })
    const { id } = await enqueue(clientId)
    const lookup: HostLookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })
    }
    await new WebhookDispatcher(production, { lookup }).runOnce()
    const row = await delivery(id)
    assert.deepEqual(
      [row.status, row.attempts, row.last_error],
      ['pending', 1, 'unsafe_url: the URL host does not resolve'],
    )
  })

  test('an enqueue inside a rolled-back transaction leaves nothing', async () => {
    const { clientId } = await makePartner()
    await assert.rejects(
      ctx.db.transaction().execute(async (trx) => {
        await enqueueWebhook(trx, clock, { clientId, type: 'agreement.ended', data: { agreementId: 'a1' } })
        throw new Error('the effect failed')
      }),
      /the effect failed/,
    )
    const rows = await ctx.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('client_id', '=', clientId)
      .execute()
    assert.deepEqual(rows, [])
    assert.equal(await new WebhookDispatcher(ctx).runOnce(), 0)
    assert.deepEqual(receiver.requests, [])
  })

  test('a partner without a webhook URL gets the event recorded as failed (no_webhook_url)', async () => {
    const { clientId } = await makePartner({ webhookUrl: null })
    const { id } = await enqueue(clientId)
    const row = await delivery(id)
    assert.deepEqual(
      [row.status, row.attempts, row.last_error, row.next_attempt_at],
      ['failed', 0, 'no_webhook_url', null],
    )
    assert.equal(await new WebhookDispatcher(ctx).runOnce(), 0)
    await assert.rejects(enqueue('client_missing'), { code: 'partner_not_found' })
  })

  test('redirects are not followed, and refused connections are recorded', async () => {
    receiver.answer = () => ({ status: 302, headers: { location: receiver.url('/elsewhere') } })
    const moved = await makePartner({ webhookUrl: receiver.url('/moved') })
    const unused = await new Receiver(clock).start()
    const closedUrl = unused.url()
    await unused.close()
    const closed = await makePartner({ webhookUrl: closedUrl })
    const ids = [(await enqueue(moved.clientId)).id, (await enqueue(closed.clientId)).id]
    assert.equal(await new WebhookDispatcher(ctx).runOnce(), 2)
    const rows = await Promise.all(ids.map(delivery))
    assert.deepEqual(
      rows.map((r) => [r.status, r.attempts, r.last_status, r.last_error]),
      [
        ['pending', 1, 302, 'http_302'],
        ['pending', 1, null, 'network_error: ECONNREFUSED'],
      ],
    )
    assert.deepEqual(
      receiver.requests.map((r) => r.path),
      ['/moved'],
    )
  })

  test('a partner that does not answer in time is cut off and retried', async () => {
    receiver.answer = () => 'hang'
    const { clientId } = await makePartner()
    const { id } = await enqueue(clientId)
    await new WebhookDispatcher(ctx, { timeoutMs: 300 }).runOnce()
    const row = await delivery(id)
    assert.deepEqual(
      [row.status, row.attempts, row.last_status, row.last_error],
      ['pending', 1, null, 'timeout after 300 ms'],
    )
  })

  test('a started dispatcher delivers a committed enqueue at once, without waiting for the poll', async () => {
    const { clientId } = await makePartner()
    const dispatcher = new WebhookDispatcher(ctx, { pollMs: 60_000 })
    await dispatcher.start()
    try {
      // The first poll runs at start; only the enqueue's notification can wake it again in time.
      await new Promise((resolve) => setTimeout(resolve, 50))
      const { id } = await enqueue(clientId)
      const deadline = Date.now() + 5000
      while ((await delivery(id)).status !== 'delivered' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      assert.equal((await delivery(id)).status, 'delivered')
      assert.equal(receiver.requests.length, 1)
    } finally {
      await dispatcher.stop()
    }
  })

  test('two dispatchers on PostgreSQL deliver each event exactly once', {
    skip: process.env.TEST_DATABASE_URL ? false : 'needs TEST_DATABASE_URL',
  }, async () => {
    const other = await openDb<TandemDatabase>({ url: database.url })
    try {
      const { clientId } = await makePartner()
      const ids = new Set<string>()
      for (let i = 0; i < 40; i++) ids.add((await enqueue(clientId, { n: i })).id)
      receiver.answer = () => ({ status: 204 })
      const a = new WebhookDispatcher(ctx, { batchSize: 5 })
      const b = new WebhookDispatcher({ ...ctx, database: other, db: other.db }, { batchSize: 5 })
      let byA = 0
      let byB = 0
      for (let round = 0; round < 20; round++) {
        const [x, y] = await Promise.all([a.runOnce(), b.runOnce()])
        byA += x
        byB += y
        if (x + y === 0) break
      }
      assert.ok(byA > 0 && byB > 0, `both dispatchers took part: ${byA} + ${byB}`)
      assert.equal(byA + byB, 40)
      const delivered = receiver.requests.map((r) => String(r.headers['tandem-event-id']))
      assert.equal(delivered.length, 40)
      assert.deepEqual(new Set(delivered), ids)
      const rows = await ctx.db.selectFrom('webhook_deliveries').select(['status', 'attempts']).execute()
      assert.ok(rows.every((r) => r.status === 'delivered' && r.attempts === 1))
    } finally {
      await other.close()
    }
  })
})

describe('events raised by other domains', () => {
  test('a revocation sends grant.revoked and data.deletion_requested with the app-scoped id only', async () => {
    const { clientId } = await makePartner()
    const userId = crypto.randomUUID()
    await ctx.db
      .insertInto('users')
      .values({
        id: userId,
        username: `u_${randomToken(6)
          .toLowerCase()
          .replace(/[^a-z0-9]/g, 'x')}`,
        display_name: 'Ana',
        password_hash: 'x',
      })
      .execute()
    await ctx.db
      .insertInto('app_subjects')
      .values({ client_id: clientId, user_id: userId, sub: 'app-scoped-ana', created_at: clock.now() })
      .execute()
    const requestId = crypto.randomUUID()
    const dueAt = new Date(clock.now().getTime() + 30 * 86_400_000)
    await ctx.db.transaction().execute((trx) =>
      enqueueRevocationWebhooks(trx, clock, {
        grantId: 'grant-1',
        clientId,
        userId,
        deletionRequestId: requestId,
        dueAt,
      }),
    )
    await new WebhookDispatcher(ctx).runOnce()
    const events = receiver.requests
      .map((r) => JSON.parse(r.body))
      .sort((a, b) => a.type.localeCompare(b.type))
    assert.deepEqual(
      events.map((e) => [e.type, e.data]),
      [
        [
          'data.deletion_requested',
          { requestId, grantId: 'grant-1', sub: 'app-scoped-ana', dueAt: dueAt.toISOString() },
        ],
        [
          'grant.revoked',
          { grantId: 'grant-1', sub: 'app-scoped-ana', revokedAt: clock.now().toISOString() },
        ],
      ],
    )
    assert.ok(!receiver.requests.some((r) => r.body.includes(userId)), "Tandem's user id never leaves")
  })

  test('an agreement change is sent with its terms', async () => {
    const { clientId } = await makePartner()
    const agreement = {
      id: crypto.randomUUID(),
      client_id: clientId,
      api: 'inbox' as const,
      version: 2,
      valid_from: new Date('2026-01-01T00:00:00Z'),
      valid_until: new Date('2026-12-31T00:00:00Z'),
      ended_at: null,
      end_reason: null,
      obligations: { reportEveryDays: 14 },
      created_by: null,
      created_at: clock.now(),
    }
    await ctx.db
      .transaction()
      .execute((trx) => enqueueAgreementWebhook(trx, clock, { type: 'agreement.extended', agreement }))
    await new WebhookDispatcher(ctx).runOnce()
    const [event] = receiver.requests.map((r) => JSON.parse(r.body))
    assert.equal(event.type, 'agreement.extended')
    assert.deepEqual(event.data, {
      agreementId: agreement.id,
      api: 'inbox',
      version: 2,
      validFrom: '2026-01-01T00:00:00.000Z',
      validUntil: '2026-12-31T00:00:00.000Z',
      endedAt: null,
      endReason: null,
      obligations: { reportEveryDays: 14 },
    })
  })
})

describe('admin webhook routes', () => {
  let app: FastifyInstance
  let admin: string
  let member: string

  before(async () => {
    const built = await buildTandemApp({ config: ctx.config, database, clock })
    app = built.app
    if (!app.hasRoute({ method: 'GET', url: '/api/admin/partners/:clientId/webhooks' })) {
      registerWebhookRoutes(app, built.ctx)
    }
    await app.ready()
    const login = async (isAdmin: boolean) => {
      const username = `${isAdmin ? 'admin' : 'member'}_${randomToken(4)
        .toLowerCase()
        .replace(/[^a-z0-9]/g, 'x')}`
      await signUp(database.db, {
        username,
        displayName: username,
        password: 'correct horse battery',
        isAdmin,
      })
      const res = await app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { username, password: 'correct horse battery' },
      })
      return sessionCookieFrom(res)
    }
    admin = await login(true)
    member = await login(false)
  })
  after(() => app.close())

  const get = (cookie: string | undefined, url: string) =>
    app.inject({ method: 'GET', url, ...(cookie ? { headers: { cookie } } : {}) })
  const post = (cookie: string, url: string) => app.inject({ method: 'POST', url, headers: { cookie } })

  async function insertDelivery(clientId: string, status: 'failed' | 'delivered', minutesAgo: number) {
    const id = crypto.randomUUID()
    await database.db
      .insertInto('webhook_deliveries')
      .values({
        id,
        client_id: clientId,
        event_type: 'agreement.created',
        payload: JSON.stringify({ id, type: 'agreement.created', data: {} }),
        status,
        attempts: status === 'failed' ? MAX_ATTEMPTS : 1,
        last_status: status === 'failed' ? 500 : 204,
        last_error: status === 'failed' ? 'http_500' : null,
        created_at: new Date(clock.now().getTime() - minutesAgo * 60_000),
        delivered_at: status === 'delivered' ? clock.now() : null,
      })
      .execute()
    return id
  }

  test('only an admin may list deliveries', async () => {
    const { clientId } = await makePartner({ webhookUrl: null })
    const url = `/api/admin/partners/${clientId}/webhooks`
    const anonymous = await get(undefined, url)
    assert.equal(anonymous.statusCode, 401)
    assert.deepEqual(anonymous.json(), { error: { code: 'unauthenticated', message: 'log in first' } })
    const notAdmin = await get(member, url)
    assert.equal(notAdmin.statusCode, 403)
    assert.deepEqual(notAdmin.json(), {
      error: { code: 'admin_only', message: 'this needs an administrator' },
    })
    const unknown = await get(admin, '/api/admin/partners/client_missing/webhooks')
    assert.equal(unknown.statusCode, 404)
    assert.deepEqual(unknown.json(), { error: { code: 'partner_not_found', message: 'partner not found' } })
  })

  test('deliveries come newest first, a page at a time', async () => {
    const { clientId } = await makePartner({ webhookUrl: null })
    const ids = []
    for (let i = 0; i < 5; i++)
      ids.push(await insertDelivery(clientId, i === 0 ? 'delivered' : 'failed', 50 - i))
    const first = await get(admin, `/api/admin/partners/${clientId}/webhooks?limit=2`)
    assert.equal(first.statusCode, 200)
    const page = first.json()
    assert.deepEqual(
      page.deliveries.map((d: { id: string }) => d.id),
      [ids[4], ids[3]],
    )
    assert.deepEqual(page.deliveries[0], {
      id: ids[4],
      type: 'agreement.created',
      status: 'failed',
      attempts: MAX_ATTEMPTS,
      lastStatus: 500,
      lastError: 'http_500',
      createdAt: new Date(clock.now().getTime() - 46 * 60_000).toISOString(),
      deliveredAt: null,
      nextAttemptAt: null,
    })
    const seen = [...page.deliveries]
    let cursor = page.nextCursor
    while (cursor) {
      const next = (
        await get(admin, `/api/admin/partners/${clientId}/webhooks?limit=2&before=${cursor}`)
      ).json()
      seen.push(...next.deliveries)
      cursor = next.nextCursor
    }
    assert.deepEqual(
      seen.map((d: { id: string }) => d.id),
      [...ids].reverse(),
    )
    assert.equal(seen.at(-1).deliveredAt, clock.now().toISOString())
    const bad = await get(admin, `/api/admin/partners/${clientId}/webhooks?before=nonsense`)
    assert.equal(bad.statusCode, 400)
    assert.deepEqual(bad.json(), { error: { code: 'invalid_cursor', message: 'the cursor is not valid' } })
  })

  test('an admin re-queues a failed delivery; other states are refused', async () => {
    const { clientId } = await makePartner({ webhookUrl: null })
    const failed = await insertDelivery(clientId, 'failed', 5)
    const delivered = await insertDelivery(clientId, 'delivered', 4)

    assert.equal((await post(member, `/api/admin/webhooks/${failed}/retry`)).statusCode, 403)
    const res = await post(admin, `/api/admin/webhooks/${failed}/retry`)
    assert.equal(res.statusCode, 200)
    assert.deepEqual(
      (({ id, status, attempts, nextAttemptAt }) => ({ id, status, attempts, nextAttemptAt }))(
        res.json().delivery,
      ),
      { id: failed, status: 'pending', attempts: 0, nextAttemptAt: clock.now().toISOString() },
    )

    const again = await post(admin, `/api/admin/webhooks/${delivered}/retry`)
    assert.equal(again.statusCode, 409)
    assert.deepEqual(again.json(), {
      error: { code: 'delivery_not_failed', message: 'only a failed delivery can be retried' },
    })
    const missing = await post(admin, `/api/admin/webhooks/${crypto.randomUUID()}/retry`)
    assert.equal(missing.statusCode, 404)
    assert.deepEqual(missing.json(), {
      error: { code: 'webhook_delivery_not_found', message: 'webhook delivery not found' },
    })
    assert.equal((await post(admin, '/api/admin/webhooks/not-a-uuid/retry')).statusCode, 400)
  })
})
