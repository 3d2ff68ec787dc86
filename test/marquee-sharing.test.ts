import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { ManualClock } from '../src/lib/clock.ts'
import { createTestDatabase } from '../src/lib/testing/test-db.ts'
import { buildMarqueeApp, type MarqueeApp } from '../src/marquee/app.ts'
import { testMarqueeConfig } from '../src/marquee/config.ts'
import type { MarqueeDatabase } from '../src/marquee/db.ts'
import { listRollups } from '../src/marquee/events/events.service.ts'
import { shareDialogVariant } from '../src/marquee/experiments/experiments.service.ts'
import { migrations as marqueeMigrations } from '../src/marquee/migrations/index.ts'
import { sessionCookieFrom as marqueeCookieFrom } from '../src/marquee/testing.ts'
import { createTandemPartnerClient } from '../src/partner-sdk/index.ts'
import {
  authorizeAsPartner,
  freePort,
  type ListeningTandem,
  makeTestUser,
  partnerClient,
  redeemCode,
  registerTestPartner,
  startListeningTandem,
  type TestPartner,
} from '../src/tandem/oauth/testing.ts'
import { insertFriendship } from '../src/tandem/social/social.repository.ts'

// Story 3 and 4 over the wire: Ana shares from Marquee to Ben (an app friend, by app-scoped id) and
// Cleo (not on Marquee, by a suggestion handle); the messages arrive in Tandem labelled "Ana via
// Marquee"; Cleo follows Tandem's link shim to Marquee's landing page, whose beacon confirms the click.

const BROWSER = {
  'user-agent':
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
  'sec-fetch-site': 'cross-site',
}
const SCOPE = 'openid profile recommendations.send friends.app friends.suggest'

let tandem: ListeningTandem
let partner: TestPartner
let marquee: MarqueeApp & { origin: string; clock: ManualClock; close: () => Promise<void> }
const titleId = 'paper-moons-test'

async function startMarquee(issuer: string) {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const database = await createTestDatabase<MarqueeDatabase>('marquee', marqueeMigrations)
  const clock = new ManualClock(new Date())
  const config = testMarqueeConfig({
    publicOrigin: origin,
    tandem: { issuer, clientId: undefined, webhookSecret: undefined },
  })
  const built = await buildMarqueeApp({ config, database, clock })
  await built.app.listen({ host: '127.0.0.1', port })
  return {
    ...built,
    origin,
    clock,
    async close() {
      await built.app.close()
      await database.drop()
    },
  }
}

/** A GET with exactly these headers, as a browser navigating sends them (fetch sets its own Sec-Fetch-*). */
function navigate(url: string): Promise<{ status: number; location: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: BROWSER }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function tandemSession(user: { username: string; password: string }): Promise<string> {
  const res = await tandem.app.inject({
    method: 'POST',
    url: '/api/login',
    payload: { username: user.username, password: user.password },
  })
  assert.equal(res.statusCode, 200, res.body)
  const cookie = res.cookies.find((c) => c.name === 'tandem_session')
  return `tandem_session=${cookie?.value}`
}

before(async () => {
  tandem = await startListeningTandem({ loginRateLimit: { max: 1000, windowMs: 60_000 } })
  partner = await registerTestPartner(tandem.db, tandem.clock.now(), { name: 'Marquee' })
  marquee = await startMarquee(tandem.origin)
  await marquee.ctx.db
    .insertInto('titles')
    .values({
      id: titleId,
      name: 'Paper Moons',
      year: 2019,
      runtime_minutes: 95,
      genres: ['drama'],
      synopsis: 'Two sisters and a travelling cinema.',
    })
    .execute()
})

after(async () => {
  await marquee?.close()
  await tandem?.close()
})

describe('sharing from Marquee to Tandem, and back through the link shim', () => {
  test('app friend and suggestion receive "Ana via Marquee"; the shim link lands on the confirming landing page', async () => {
    const config = await partnerClient(tandem.origin, partner)
    const tAna = await makeTestUser(tandem.db, `ana${Date.now() % 100000}`)
    await tandem.db.updateTable('users').set({ display_name: 'Ana' }).where('id', '=', tAna.id).execute()
    const tBen = await makeTestUser(tandem.db)
    const tCleo = await makeTestUser(tandem.db)
    await tandem.db.updateTable('users').set({ allow_suggestions: true }).where('id', '=', tCleo.id).execute()
    await insertFriendship(tandem.db, tAna.id, tBen.id, tandem.clock.now())
    await insertFriendship(tandem.db, tAna.id, tCleo.id, tandem.clock.now())
    // Ben uses Marquee too: he connected it, so he is Ana's app friend.
    await redeemCode(
      config,
      await authorizeAsPartner(tandem.origin, config, partner, tBen, {
        scope: 'openid',
        resource: tandem.resource,
      }),
    )
    const tokens = await redeemCode(
      config,
      await authorizeAsPartner(tandem.origin, config, partner, tAna, {
        scope: SCOPE,
        resource: tandem.resource,
      }),
    )
    const client = createTandemPartnerClient({
      baseUrl: tandem.origin,
      accessToken: () => tokens.access_token,
    })
    const scopes = String(tokens.scope ?? '').split(' ')
    assert.ok(scopes.includes('recommendations.send'), `granted: ${tokens.scope}`)

    // Ana on Marquee, connected through a test TandemLink holding her real Tandem token.
    const signup = await marquee.app.inject({
      method: 'POST',
      url: '/api/signup',
      payload: {
        username: `ana${Date.now() % 100000}`,
        displayName: 'Ana',
        password: 'correct horse battery',
      },
    })
    assert.equal(signup.statusCode, 201, signup.body)
    const anaId = signup.json().user.id as string
    const cookie = marqueeCookieFrom(signup)
    marquee.ctx.tandem = { clientFor: async (userId) => (userId === anaId ? { client, scopes } : undefined) }

    const friends = await client.friends()
    const benId = friends.appFriends?.[0]?.id
    const cleoHandle = friends.suggestions?.[0]?.handle
    assert.equal(friends.appFriends?.length, 1)
    assert.equal(friends.suggestions?.length, 1)
    assert.ok(benId && cleoHandle)

    const shared = await marquee.app.inject({
      method: 'POST',
      url: '/api/shares',
      headers: { cookie, 'idempotency-key': 'post-play-1', origin: marquee.origin },
      payload: {
        titleId,
        interface: 'web',
        surface: 'post_play',
        note: 'We should talk about the ending',
        recipients: [
          { type: 'tandem', id: benId },
          { type: 'tandem', handle: cleoHandle },
        ],
      },
    })
    assert.equal(shared.statusCode, 201, shared.body)
    assert.deepEqual(
      shared.json().shares.map((s: { recipient: string; status: string }) => [s.recipient, s.status]),
      [
        [benId, 'sent'],
        [cleoHandle, 'sent'],
      ],
    )

    // Each arrives in Tandem as a title card from Ana, labelled with the partner.
    const hrefs: string[] = []
    for (const recipient of [tBen, tCleo]) {
      const session = await tandemSession(recipient)
      const inbox = await tandem.app.inject({
        method: 'GET',
        url: '/api/threads',
        headers: { cookie: session },
      })
      assert.equal(inbox.statusCode, 200)
      const [thread] = inbox.json().threads
      const last = thread.lastMessage
      assert.equal(`${last.senderName} via ${last.viaName}`, 'Ana via Marquee')
      const messages = await tandem.app.inject({
        method: 'GET',
        url: `/api/threads/${thread.id}/messages`,
        headers: { cookie: session },
      })
      const message = messages.json().messages.at(-1)
      assert.equal(message.kind, 'title_card')
      assert.equal(message.text, 'We should talk about the ending')
      assert.equal(message.card.title, 'Paper Moons')
      assert.equal(message.via.name, 'Marquee')
      hrefs.push(message.card.href)
    }

    // Cleo clicks: Tandem's shim counts and redirects to Marquee's tracked link, whose page confirms.
    const before = await listRollups(marquee.ctx.db, { from: '2000-01-01', to: '2099-12-31' })
    assert.deepEqual(
      before.map((r) => [r.interface, r.surface, r.variant, r.recipientType, r.sends, r.clicks]),
      [['web', 'post_play', shareDialogVariant(anaId), 'tandem', 2, 0]],
    )
    marquee.clock.advance(60_000)
    const shim = await navigate(hrefs[1] as string)
    assert.equal(shim.status, 302)
    const location = shim.location as string
    assert.match(location, new RegExp(`^${marquee.origin}/r/[A-Za-z0-9_-]{24}$`))
    const landing = await navigate(location)
    assert.equal(landing.status, 200)
    const html = landing.body
    assert.match(html, /Paper Moons/)
    assert.match(html, /href="\/signup\?next=%2Ftitles%2Fpaper-moons-test"/)
    const clickId = /data-click="([0-9a-f-]{36})"/.exec(html)?.[1]
    const beacon = await fetch(`${location}/confirm`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'sec-fetch-site': 'same-origin',
        origin: marquee.origin,
      },
      body: JSON.stringify({ clickId }),
    })
    assert.equal(beacon.status, 204)
    const [row] = await listRollups(marquee.ctx.db, { from: '2000-01-01', to: '2099-12-31' })
    assert.deepEqual(
      {
        sends: row?.sends,
        clicks: row?.clicks,
        uniqueClicks: row?.uniqueClicks,
        human: row?.clickedByClass.human,
      },
      { sends: 2, clicks: 1, uniqueClicks: 1, human: 1 },
    )

    // A replay of the share sends nothing more to Tandem.
    const replay = await marquee.app.inject({
      method: 'POST',
      url: '/api/shares',
      headers: { cookie, 'idempotency-key': 'post-play-1', origin: marquee.origin },
      payload: {
        titleId,
        interface: 'web',
        surface: 'post_play',
        note: 'We should talk about the ending',
        recipients: [
          { type: 'tandem', id: benId },
          { type: 'tandem', handle: cleoHandle },
        ],
      },
    })
    assert.deepEqual(replay.json(), shared.json())
    const sentAtTandem = await tandem.db
      .selectFrom('partner_sends')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('sender_id', '=', tAna.id)
      .executeTakeFirstOrThrow()
    assert.equal(Number(sentAtTandem.n), 2)
  })
})
