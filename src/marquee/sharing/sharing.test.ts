import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { newId } from '../../lib/ids.ts'
import { type Recommendation, TandemApiError, type TandemPartnerClient } from '../../partner-sdk/index.ts'
import { listRollups } from '../events/events.service.ts'
import { shareDialogVariant } from '../experiments/experiments.service.ts'
import { makeMarquee, type TestMarquee } from '../testing.ts'

/** Tandem's Inbox API as the SDK sees it: answers once per Idempotency-Key, like the real one. */
class FakeInbox {
  calls: Array<{ recommendation: Recommendation; idempotencyKey: string }> = []
  answers = new Map<string, { id: string; recipient: string; status: 'sent' | 'not_delivered' }>()
  notDelivered = new Set<string>()
  refuse = new Map<string, TandemApiError>()
  crashOn = new Set<string>()

  client(): TandemPartnerClient {
    return {
      sendRecommendations: async (
        recommendation: Recommendation,
        { idempotencyKey }: { idempotencyKey: string },
      ) => {
        const recipient = recommendation.recipients[0] as string
        if (this.crashOn.has(recipient)) throw new Error('the process died here')
        const refused = this.refuse.get(recipient)
        if (refused) throw refused
        let answer = this.answers.get(idempotencyKey)
        if (!answer) {
          this.calls.push({ recommendation, idempotencyKey })
          answer = {
            id: newId(),
            recipient,
            status: this.notDelivered.has(recipient) ? 'not_delivered' : 'sent',
          }
          this.answers.set(idempotencyKey, answer)
        }
        return { sends: [answer] }
      },
    } as unknown as TandemPartnerClient
  }
}

const BEN = 'b'.repeat(43)
const CLEO_HANDLE = `h_${'c'.repeat(43)}`

describe('POST /api/shares', () => {
  let m: TestMarquee
  let ana: Awaited<ReturnType<TestMarquee['makeUser']>>
  let inbox: FakeInbox
  let scopes: string[]
  let connected: boolean
  const titleId = `share-${newId().slice(0, 8)}`
  let keyCounter = 0

  const share = (payload: unknown, key: string | null = `key-${++keyCounter}`, user = ana) =>
    m.as(user, {
      method: 'POST',
      url: '/api/shares',
      headers: key === null ? {} : { 'idempotency-key': key },
      payload: payload as Record<string, unknown>,
    })
  const body = (recipients: unknown[], extra: Record<string, unknown> = {}) => ({
    titleId,
    interface: 'web',
    surface: 'post_play',
    recipients,
    ...extra,
  })
  const today = () => m.clock.now().toISOString().slice(0, 10)
  const sendsIn = async (recipientType: string) =>
    (await listRollups(m.db, { from: today(), to: today() }))
      .filter((r) => r.recipientType === recipientType)
      .reduce((n, r) => n + r.sends, 0)

  before(async () => {
    m = await makeMarquee()
    ana = await m.makeUser({ displayName: 'Ana' })
    await m.db
      .insertInto('titles')
      .values({
        id: titleId,
        name: 'Paper Moons',
        year: 2019,
        runtime_minutes: 95,
        genres: ['drama'],
        synopsis: 'x',
      })
      .execute()
    m.ctx.tandem = {
      clientFor: async () => (connected ? { client: inbox.client(), scopes } : undefined),
    }
  })
  beforeEach(() => {
    inbox = new FakeInbox()
    scopes = ['openid', 'recommendations.send', 'friends.app', 'friends.suggest']
    connected = true
  })
  after(async () => {
    await m.close()
  })

  test('external recipients get their own tracked link, recorded as sent with the server-side variant', async () => {
    const before = await sendsIn('external')
    const res = await share(
      body([
        { type: 'external', channel: 'copy_link' },
        { type: 'external', channel: 'email' },
      ]),
    )
    assert.equal(res.statusCode, 201, res.body)
    const { shares } = res.json()
    assert.equal(shares.length, 2)
    for (const [i, s] of shares.entries()) {
      assert.equal(s.recipientType, 'external')
      assert.equal(s.recipient, ['copy_link', 'email'][i])
      assert.equal(s.status, 'created')
      assert.match(s.url, /^http:\/\/localhost:4000\/r\/[A-Za-z0-9_-]{24}$/)
    }
    assert.notEqual(shares[0].url, shares[1].url)
    assert.equal(inbox.calls.length, 0)
    assert.equal((await sendsIn('external')) - before, 2)
    const rows = await listRollups(m.db, { from: today(), to: today() })
    assert.deepEqual(
      rows.filter((r) => r.recipientType === 'external').map((r) => r.variant),
      [shareDialogVariant(ana.id)],
    )
    const landing = await m.app.inject({ method: 'GET', url: new URL(shares[0].url).pathname })
    assert.equal(landing.statusCode, 200)
    assert.match(landing.body, /Paper Moons/)
  })

  test('Tandem recipients: one Inbox API call each, with its own tracked link and the context; statuses pass through', async () => {
    inbox.notDelivered.add(CLEO_HANDLE)
    const before = await sendsIn('tandem')
    const res = await share(
      body(
        [
          { type: 'tandem', id: BEN },
          { type: 'tandem', handle: CLEO_HANDLE },
          { type: 'external', channel: 'copy_link' },
        ],
        {
          note: 'You will love it',
          surface: 'title_page',
          interface: 'tv',
        },
      ),
    )
    assert.equal(res.statusCode, 201, res.body)
    const { shares } = res.json()
    assert.deepEqual(
      shares.map((s: { recipient: string; recipientType: string; status: string; url?: string }) => [
        s.recipient,
        s.recipientType,
        s.status,
        s.url === undefined,
      ]),
      [
        [BEN, 'tandem', 'sent', true],
        [CLEO_HANDLE, 'tandem', 'not_delivered', true],
        ['copy_link', 'external', 'created', false],
      ],
    )
    assert.equal(inbox.calls.length, 2)
    const [toBen, toCleo] = inbox.calls
    assert.deepEqual(toBen?.recommendation.recipients, [BEN])
    assert.deepEqual(toCleo?.recommendation.recipients, [CLEO_HANDLE])
    assert.equal(toBen?.idempotencyKey, shares[0].id)
    assert.deepEqual(toBen?.recommendation.context, {
      interface: 'tv',
      surface: 'title_page',
      variant: shareDialogVariant(ana.id),
    })
    assert.equal(toBen?.recommendation.note, 'You will love it')
    assert.equal(toBen?.recommendation.title.name, 'Paper Moons')
    assert.equal(toBen?.recommendation.title.imageUrl, `http://localhost:4000/posters/${titleId}.svg`)
    assert.match(toBen?.recommendation.title.url ?? '', /^http:\/\/localhost:4000\/r\/[A-Za-z0-9_-]{24}$/)
    assert.notEqual(toBen?.recommendation.title.url, toCleo?.recommendation.title.url)
    // Only what Tandem accepted is a send.
    assert.equal((await sendsIn('tandem')) - before, 1)
    const stored = await m.db
      .selectFrom('shares')
      .select(['status', 'tandem_send_id'])
      .where('id', '=', shares[0].id)
      .executeTakeFirstOrThrow()
    assert.equal(stored.status, 'sent')
    assert.equal(stored.tandem_send_id, inbox.answers.get(shares[0].id)?.id)
    // The tracked link Tandem carries lands on the landing page.
    const landing = await m.app.inject({
      method: 'GET',
      url: new URL(toBen?.recommendation.title.url ?? '').pathname,
    })
    assert.equal(landing.statusCode, 200)
  })

  test('a replay answers the same response and sends nothing twice; another body under the key is refused', async () => {
    const payload = body([
      { type: 'tandem', id: BEN },
      { type: 'external', channel: 'email' },
    ])
    const first = await share(payload, 'replay-key')
    assert.equal(first.statusCode, 201)
    const sends = await sendsIn('tandem')
    const externals = await sendsIn('external')
    for (let i = 0; i < 3; i++) {
      const again = await share(payload, 'replay-key')
      assert.equal(again.statusCode, 201)
      assert.equal(again.headers['idempotent-replayed'], 'true')
      assert.deepEqual(again.json(), first.json())
    }
    assert.equal(inbox.calls.length, 1)
    assert.equal(await sendsIn('tandem'), sends)
    assert.equal(await sendsIn('external'), externals)
    const other = await share(body([{ type: 'external', channel: 'copy_link' }]), 'replay-key')
    assert.equal(other.statusCode, 422)
    assert.deepEqual(other.json(), {
      error: {
        code: 'idempotency_key_reused',
        message: 'this Idempotency-Key was already used for a different request',
      },
    })
    // The key is the sender's own: another user may use the same string.
    const ben = await m.makeUser()
    assert.equal(
      (await share(body([{ type: 'external', channel: 'email' }]), 'replay-key', ben)).statusCode,
      201,
    )
  })

  test('a call interrupted after Tandem accepted one recipient is finished by its retry without sending twice', async () => {
    const OTHER = 'o'.repeat(43)
    inbox.crashOn.add(OTHER)
    const payload = body([
      { type: 'tandem', id: BEN },
      { type: 'tandem', id: OTHER },
    ])
    const before = await sendsIn('tandem')
    const crashed = await share(payload, 'crash-key')
    assert.equal(crashed.statusCode, 500)
    assert.equal(await sendsIn('tandem'), before)
    inbox.crashOn.clear()
    const retried = await share(payload, 'crash-key')
    assert.equal(retried.statusCode, 201, retried.body)
    assert.deepEqual(
      retried.json().shares.map((s: { status: string }) => s.status),
      ['sent', 'sent'],
    )
    assert.equal(inbox.calls.length, 2, 'Ben was sent once, the other once')
    assert.equal((await sendsIn('tandem')) - before, 2)
  })

  test('Tandem refusing one send marks it failed with its code and records nothing for it', async () => {
    inbox.refuse.set(BEN, new TandemApiError(429, 'daily_cap_reached', 'cap'))
    const res = await share(body([{ type: 'tandem', id: BEN }]))
    assert.equal(res.statusCode, 201)
    assert.deepEqual(
      res.json().shares.map((s: { status: string; error?: string }) => [s.status, s.error]),
      [['failed', 'daily_cap_reached']],
    )
  })

  test('not connected → 409, no send scope → 403; external shares still work', async () => {
    connected = false
    const notConnected = await share(body([{ type: 'tandem', id: BEN }]))
    assert.equal(notConnected.statusCode, 409)
    assert.deepEqual(notConnected.json(), {
      error: { code: 'tandem_not_connected', message: 'connect Tandem to share with Tandem friends' },
    })
    assert.equal((await share(body([{ type: 'external', channel: 'copy_link' }]))).statusCode, 201)
    connected = true
    scopes = ['openid', 'friends.app']
    const noScope = await share(body([{ type: 'tandem', handle: CLEO_HANDLE }]))
    assert.equal(noScope.statusCode, 403)
    assert.deepEqual(noScope.json(), {
      error: {
        code: 'scope_not_granted',
        message: 'Tandem has not granted sending recommendations',
        details: { scope: 'recommendations.send' },
      },
    })
    assert.equal(inbox.calls.length, 0)
  })

  test('unknown title → 404; missing key → 400; no session → 401; bad input → 400, never a 500', async () => {
    const unknown = await share({
      ...body([{ type: 'external', channel: 'email' }]),
      titleId: 'no-such-title',
    })
    assert.equal(unknown.statusCode, 404)
    assert.deepEqual(unknown.json(), { error: { code: 'title_not_found', message: 'title not found' } })
    const noKey = await share(body([{ type: 'external', channel: 'email' }]), null)
    assert.equal(noKey.statusCode, 400)
    assert.deepEqual(noKey.json(), {
      error: { code: 'idempotency_key_required', message: 'send an Idempotency-Key header' },
    })
    const badKey = await share(body([{ type: 'external', channel: 'email' }]), 'has space')
    assert.equal(badKey.statusCode, 400)
    assert.equal(badKey.json().error.code, 'invalid_idempotency_key')
    const anonymous = await m.app.inject({
      method: 'POST',
      url: '/api/shares',
      headers: { 'idempotency-key': 'k' },
      payload: body([{ type: 'external', channel: 'email' }]),
    })
    assert.equal(anonymous.statusCode, 401)
    const ext = { type: 'external', channel: 'email' }
    const bad: unknown[] = [
      {},
      body([]),
      body([ext], { variant: 'quick' }),
      body([ext], { interface: 'fridge' }),
      body([ext], { surface: 'nowhere' }),
      body([ext], { note: 'x'.repeat(501) }),
      body([ext], { note: 'bell\u0007' }),
      body([ext], { titleId: '' }),
      body([{ type: 'external', channel: 'fax' }]),
      body([{ type: 'tandem' }]),
      body([{ type: 'tandem', id: BEN, handle: CLEO_HANDLE }]),
      body([{ type: 'tandem', id: 'has spaces' }]),
      body([
        { type: 'tandem', id: BEN },
        { type: 'tandem', id: BEN },
      ]),
      body(Array.from({ length: 21 }, () => ext)),
      body([{ type: 'carrier_pigeon' }]),
    ]
    for (const payload of bad) {
      const res = await share(payload)
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload).slice(0, 120)} → ${res.body}`)
      assert.equal(res.json().error.code, 'validation_failed')
    }
    assert.equal(inbox.calls.length, 0)
  })
})
