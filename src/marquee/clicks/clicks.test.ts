import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { newId, randomToken } from '../../lib/ids.ts'
import { listRollups, recordEvents } from '../events/events.service.ts'
import { makeMarquee, type TestMarquee } from '../testing.ts'
import { classifyClick } from './click-classifier.ts'

const BROWSER_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const NAVIGATE = {
  'user-agent': BROWSER_UA,
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
  'sec-fetch-site': 'cross-site',
}

describe('classifyClick', () => {
  const base = { method: 'GET', accept: undefined, secFetchMode: undefined, secFetchDest: undefined }
  const cases: Array<[string, Parameters<typeof classifyClick>[0], string]> = [
    [
      'Slackbot',
      {
        ...base,
        userAgent: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
        sinceDeliveryMs: 999_999,
      },
      'preview_fetch',
    ],
    ['Twitterbot', { ...base, userAgent: 'Twitterbot/1.0', sinceDeliveryMs: undefined }, 'preview_fetch'],
    [
      'Facebook',
      {
        ...base,
        userAgent: 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
        sinceDeliveryMs: 1,
      },
      'preview_fetch',
    ],
    ['WhatsApp', { ...base, userAgent: 'WhatsApp/2.23.20.0', sinceDeliveryMs: 1 }, 'preview_fetch'],
    [
      'Discord',
      {
        ...base,
        userAgent: 'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)',
        sinceDeliveryMs: 1,
      },
      'preview_fetch',
    ],
    [
      'Telegram',
      { ...base, userAgent: 'TelegramBot (like TwitterBot)', sinceDeliveryMs: 1 },
      'preview_fetch',
    ],
    [
      'LinkedIn',
      {
        ...base,
        userAgent: 'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)',
        sinceDeliveryMs: 1,
      },
      'preview_fetch',
    ],
    [
      'Googlebot',
      {
        ...base,
        userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
        sinceDeliveryMs: 1,
      },
      'preview_fetch',
    ],
    [
      'Proofpoint',
      { ...base, userAgent: 'Mozilla/5.0 Proofpoint URL Defense', sinceDeliveryMs: 1 },
      'scanner',
    ],
    ['Mimecast', { ...base, userAgent: 'Mimecast-URL-Protect/1.0', sinceDeliveryMs: 1 }, 'scanner'],
    ['Barracuda', { ...base, userAgent: 'Barracuda Sentinel (EE)', sinceDeliveryMs: 1 }, 'scanner'],
    ['HEAD', { ...base, method: 'HEAD', userAgent: BROWSER_UA, sinceDeliveryMs: 999_999 }, 'preview_fetch'],
    [
      'bare GET right after delivery',
      { ...base, userAgent: BROWSER_UA, sinceDeliveryMs: 2_000 },
      'preview_fetch',
    ],
    ['bare GET later', { ...base, userAgent: BROWSER_UA, sinceDeliveryMs: 600_000 }, 'unknown'],
    ['curl', { ...base, userAgent: 'curl/8.5.0', accept: '*/*', sinceDeliveryMs: 600_000 }, 'unknown'],
    ['no user agent', { ...base, userAgent: undefined, sinceDeliveryMs: 600_000 }, 'unknown'],
    [
      'a browser navigating',
      {
        method: 'GET',
        userAgent: BROWSER_UA,
        accept: NAVIGATE.accept,
        secFetchMode: 'navigate',
        secFetchDest: 'document',
        sinceDeliveryMs: 500,
      },
      'human',
    ],
    [
      'an older browser with Accept text/html',
      { ...base, userAgent: BROWSER_UA, accept: NAVIGATE.accept, sinceDeliveryMs: 600_000 },
      'human',
    ],
    [
      'a browser fetching in the background',
      {
        method: 'GET',
        userAgent: BROWSER_UA,
        accept: '*/*',
        secFetchMode: 'no-cors',
        secFetchDest: 'image',
        sinceDeliveryMs: 600_000,
      },
      'unknown',
    ],
  ]
  for (const [name, input, expected] of cases) {
    test(`${name} → ${expected}`, () => assert.equal(classifyClick(input), expected))
  }
})

describe('tracked links: GET /r/:token and the beacon', () => {
  let m: TestMarquee
  let sender: Awaited<ReturnType<TestMarquee['makeUser']>>
  const titleId = `landing-${newId().slice(0, 8)}`

  async function makeLink(deliveredAgoMs = 60_000) {
    const token = randomToken(18)
    const id = newId()
    const now = m.clock.now()
    await m.db
      .insertInto('shares')
      .values({
        id,
        sender_id: sender.id,
        title_id: titleId,
        interface: 'web',
        surface: 'post_play',
        variant: 'classic',
        recipient_type: 'external',
        recipient: null,
        channel: 'copy_link',
        token,
        status: 'created',
        tandem_send_id: null,
        created_at: now,
        delivered_at: new Date(now.getTime() - deliveredAgoMs),
      })
      .execute()
    await recordEvents(m.db, [
      {
        type: 'recommendation.sent',
        sendId: id,
        senderId: sender.id,
        titleId,
        interface: 'web',
        surface: 'post_play',
        variant: 'classic',
        recipientType: 'external',
        at: now,
      },
    ])
    return { token, id }
  }

  const open = (token: string, headers: Record<string, string>, method: 'GET' | 'HEAD' = 'GET') =>
    m.app.inject({ method, url: `/r/${token}`, headers })
  const clickIdOf = (html: string) => /data-click="([0-9a-f-]{36})"/.exec(html)?.[1] as string
  const confirm = (token: string, clickId: unknown, headers: Record<string, string> = {}) =>
    m.app.inject({
      method: 'POST',
      url: `/r/${token}/confirm`,
      headers: { 'sec-fetch-site': 'same-origin', ...headers },
      payload: { clickId },
    })
  const today = () => m.clock.now().toISOString().slice(0, 10)
  const rollup = async () => {
    const rows = await listRollups(m.db, { from: today(), to: today() })
    return rows.find(
      (r) => r.variant === 'classic' && r.surface === 'post_play' && r.recipientType === 'external',
    )
  }

  before(async () => {
    m = await makeMarquee()
    sender = await m.makeUser({ displayName: 'Ana' })
    await m.db
      .insertInto('titles')
      .values({
        id: titleId,
        name: 'The <Long> Night',
        year: 2021,
        runtime_minutes: 100,
        genres: ['drama'],
        synopsis: 'A night that does not end.',
      })
      .execute()
  })
  after(async () => {
    await m.close()
  })

  test('a browser gets the landing page (no inline script, CSP self), confirms once, and is invited to join', async () => {
    const { token } = await makeLink()
    const before = await rollup()
    const res = await open(token, NAVIGATE)
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^text\/html/)
    assert.match(String(res.headers['content-security-policy']), /script-src 'self'/)
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.match(res.body, /The &#60;Long&#62; Night/)
    assert.match(res.body, /<script src="\/r\/assets\/landing\.js" defer><\/script>/)
    assert.doesNotMatch(res.body, /<script>|<script [^>]*>[^<]/, 'no inline script')
    assert.match(res.body, new RegExp(`href="/signup\\?next=${encodeURIComponent(`/titles/${titleId}`)}"`))
    assert.match(res.body, /data-member="0"/)
    const clickId = clickIdOf(res.body)
    for (let i = 0; i < 3; i++) assert.equal((await confirm(token, clickId)).statusCode, 204)
    const after = await rollup()
    assert.equal((after?.clicks ?? 0) - (before?.clicks ?? 0), 1)
    assert.equal((after?.uniqueClicks ?? 0) - (before?.uniqueClicks ?? 0), 1)
    assert.equal((after?.clickedByClass.human ?? 0) - (before?.clickedByClass.human ?? 0), 1)
  })

  test('a member is taken to the title page', async () => {
    const { token } = await makeLink()
    const viewer = await m.makeUser()
    const res = await open(token, { ...NAVIGATE, cookie: viewer.cookie })
    assert.equal(res.statusCode, 200)
    assert.match(res.body, /data-member="1"/)
    assert.match(res.body, new RegExp(`href="/titles/${titleId}"`))
  })

  test('a preview fetcher is recorded with its class and its page view never confirms', async () => {
    const { token } = await makeLink(1_000)
    const before = await rollup()
    const res = await open(token, {
      'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
    })
    assert.equal(res.statusCode, 200)
    assert.equal((await confirm(token, clickIdOf(res.body))).statusCode, 204)
    const head = await open(token, { 'user-agent': BROWSER_UA }, 'HEAD')
    assert.equal(head.statusCode, 200)
    const scan = await open(token, { 'user-agent': 'Mimecast-URL-Protect/1.0' })
    assert.equal((await confirm(token, clickIdOf(scan.body))).statusCode, 204)
    const after = await rollup()
    assert.equal(after?.clicks, before?.clicks)
    assert.equal((after?.clickedByClass.preview_fetch ?? 0) - (before?.clickedByClass.preview_fetch ?? 0), 2)
    assert.equal((after?.clickedByClass.scanner ?? 0) - (before?.clickedByClass.scanner ?? 0), 1)
  })

  test('an unknown token answers a 404 page; the beacon refuses unknown links, clicks, bad bodies and other sites', async () => {
    for (const token of ['nope', randomToken(18), 'x'.repeat(150), '%E0%A4%A']) {
      const res = await open(token, NAVIGATE)
      assert.equal(res.statusCode, token.startsWith('%') ? 400 : 404, `${token}: ${res.body.slice(0, 100)}`)
    }
    const missing = await open(randomToken(18), NAVIGATE)
    assert.match(String(missing.headers['content-type']), /^text\/html/)
    assert.match(missing.body, /This link does not work/)
    const program = await open(randomToken(18), { 'user-agent': 'curl/8.5.0' })
    assert.equal(program.statusCode, 404)
    assert.deepEqual(program.json(), { error: { code: 'link_not_found', message: 'link not found' } })

    const { token } = await makeLink()
    const noLink = await confirm(randomToken(18), newId())
    assert.equal(noLink.statusCode, 404)
    assert.deepEqual(noLink.json(), { error: { code: 'link_not_found', message: 'link not found' } })
    const noClick = await confirm(token, newId())
    assert.equal(noClick.statusCode, 404)
    assert.deepEqual(noClick.json(), {
      error: { code: 'click_not_found', message: 'no such click on this link' },
    })
    const bad = await confirm(token, 'not-a-uuid')
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().error.code, 'validation_failed')
    const page = await open(token, NAVIGATE)
    const crossSite = await confirm(token, clickIdOf(page.body), { 'sec-fetch-site': 'cross-site' })
    assert.equal(crossSite.statusCode, 403)
    assert.deepEqual(crossSite.json(), {
      error: { code: 'cross_site_request', message: 'the beacon is first-party only' },
    })
    const form = await m.app.inject({
      method: 'POST',
      url: `/r/${token}/confirm`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `clickId=${clickIdOf(page.body)}`,
    })
    assert.equal(form.statusCode, 415)
  })

  test('the landing script and styles are served from /r/assets', async () => {
    const js = await m.app.inject({ method: 'GET', url: '/r/assets/landing.js' })
    assert.equal(js.statusCode, 200)
    assert.match(String(js.headers['content-type']), /^text\/javascript/)
    assert.match(js.body, /\/confirm/)
    const css = await m.app.inject({ method: 'GET', url: '/r/assets/landing.css' })
    assert.equal(css.statusCode, 200)
    assert.match(String(css.headers['content-type']), /^text\/css/)
  })
})
