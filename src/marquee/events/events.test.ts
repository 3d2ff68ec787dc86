import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { sql } from 'kysely'
import { INTERFACES, RECIPIENT_TYPES, SURFACES } from '../../lib/measurement-dimensions.ts'
import { seededRandom } from '../catalog/catalog.data.ts'
import { makeMarquee, type TestMarquee } from '../testing.ts'
import { eventIngestToken } from './events.routes.ts'
import {
  CLICK_CLASSES,
  CLICK_WINDOW_MS,
  type ClickClass,
  listRollups,
  type MarqueeEvent,
  type RollupRow,
  recordEvents,
  type SentEvent,
  utcDay,
} from './events.service.ts'

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T

const HOUR = 3_600_000
const DAY = 24 * HOUR
const START = Date.UTC(2026, 2, 1)

interface Script {
  batches: MarqueeEvent[][]
  truth: Map<string, RollupRow>
  late: { clicks: number; uniqueClicks: number; filtered: number }
  senders: Map<string, number>
}

/**
 * N sends over 5 days by 40 senders, M GETs and confirmations on them: browsers (who confirm, sometimes
 * twice from two page views), preview fetchers and scanners (who never do), some more than 7 days late.
 * Events are shuffled across batches, so clicks often arrive before their sends.
 */
function script(n: number, seed: number): Script {
  const rand = seededRandom(seed)
  const senderIds = Array.from({ length: 40 }, () => randomUUID())
  const sends: SentEvent[] = []
  for (let i = 0; i < n; i++) {
    sends.push({
      type: 'recommendation.sent',
      sendId: randomUUID(),
      senderId: pick(rand, senderIds),
      titleId: `title-${i % 7}`,
      interface: pick(rand, INTERFACES),
      surface: pick(rand, SURFACES.slice(0, 3)),
      variant: pick(rand, ['classic', 'quick']),
      recipientType: pick(rand, RECIPIENT_TYPES),
      at: new Date(START + Math.floor(rand() * 5 * DAY)),
    })
  }
  const events: MarqueeEvent[] = [...sends]
  const truth = new Map<string, RollupRow>()
  const senders = new Map<string, number>()
  const late = { clicks: 0, uniqueClicks: 0, filtered: 0 }
  const cell = (s: SentEvent) => {
    const key = `${utcDay(s.at)}|${s.interface}|${s.surface}|${s.variant}|${s.recipientType}`
    let row = truth.get(key)
    if (!row) {
      row = {
        day: utcDay(s.at),
        interface: s.interface,
        surface: s.surface,
        variant: s.variant,
        recipientType: s.recipientType,
        sends: 0,
        clicks: 0,
        uniqueClicks: 0,
        clickedByClass: { human: 0, preview_fetch: 0, scanner: 0, unknown: 0 },
      }
      truth.set(key, row)
    }
    return row
  }
  for (const s of sends) {
    cell(s).sends += 1
    const senderKey = `${utcDay(s.at)}|${s.senderId}`
    senders.set(senderKey, (senders.get(senderKey) ?? 0) + 1)
    let confirmedInWindow = false
    let confirmedLate = false
    const clicks = Math.floor(rand() * 4)
    for (let c = 0; c < clicks; c++) {
      const isLate = rand() < 0.1
      const at = new Date(s.at.getTime() + (isLate ? CLICK_WINDOW_MS + HOUR : Math.floor(rand() * 6 * DAY)))
      const clickClass: ClickClass = pick(rand, ['human', 'human', 'preview_fetch', 'scanner', 'unknown'])
      const id = randomUUID()
      events.push({ type: 'recommendation.clicked', id, sendId: s.sendId, clickClass, at })
      if (isLate) late.filtered += clickClass === 'human' ? 0 : 1
      else cell(s).clickedByClass[clickClass] += 1
      if (clickClass !== 'human') continue
      const views = rand() < 0.2 ? 2 : 1
      for (let v = 0; v < views; v++) {
        // The same page view's beacon may be sent twice: only one counts.
        const confirm = {
          type: 'recommendation.click_confirmed' as const,
          id: v === 1 ? randomUUID() : id,
          sendId: s.sendId,
          at,
        }
        events.push(confirm, { ...confirm })
        if (isLate) {
          late.clicks += 1
          if (!confirmedLate) late.uniqueClicks += 1
          confirmedLate = true
        } else {
          cell(s).clicks += 1
          if (!confirmedInWindow) cell(s).uniqueClicks += 1
          confirmedInWindow = true
        }
      }
    }
  }
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[events[i], events[j]] = [events[j] as MarqueeEvent, events[i] as MarqueeEvent]
  }
  const batches: MarqueeEvent[][] = []
  for (let i = 0; i < events.length; ) {
    const size = 1 + Math.floor(rand() * 120)
    batches.push(events.slice(i, i + size))
    i += size
  }
  return { batches, truth, late, senders }
}

const sortRows = (rows: RollupRow[]) =>
  [...rows].sort((a, b) =>
    `${a.day}|${a.interface}|${a.surface}|${a.variant}|${a.recipientType}`.localeCompare(
      `${b.day}|${b.interface}|${b.surface}|${b.variant}|${b.recipientType}`,
    ),
  )

const wire = (events: MarqueeEvent[]) => events.map((e) => ({ ...e, at: e.at.toISOString() }))

describe('events: idempotent ingest with rollups kept current', () => {
  let m: TestMarquee
  let auth: string
  before(async () => {
    m = await makeMarquee()
    auth = `Bearer ${eventIngestToken(m.config.secretKey)}`
  })
  after(async () => {
    await m.close()
  })

  const post = (events: unknown, authorization = auth) =>
    m.app.inject({ method: 'POST', url: '/events', headers: { authorization }, payload: { events } })

  test('a scripted run of sends and clicks gives rollups equal to the truth; replaying every batch changes nothing', async () => {
    const run = script(600, 42)
    let recorded = 0
    for (const [i, batch] of run.batches.entries()) {
      if (i % 2 === 0) {
        const res = await post(wire(batch))
        assert.equal(res.statusCode, 200, res.body)
        recorded += res.json().recorded
      } else {
        recorded += (await recordEvents(m.db, batch)).recorded
      }
    }
    const expected = sortRows([...run.truth.values()])
    const range = { from: '2026-01-01', to: '2026-12-31' }
    assert.deepEqual(await listRollups(m.db, range), expected)
    const totalConfirmed = expected.reduce((n, r) => n + r.clicks, 0)
    const totalPreviews = expected.reduce((n, r) => n + r.clickedByClass.preview_fetch, 0)
    assert.ok(totalConfirmed > 50 && totalPreviews > 50, 'the script exercises confirmed clicks and previews')

    const lateRows = await m.db.selectFrom('share_rollups_late').selectAll().execute()
    const sum = (f: (r: (typeof lateRows)[number]) => number) => lateRows.reduce((n, r) => n + f(r), 0)
    assert.deepEqual(
      {
        clicks: sum((r) => r.clicks),
        uniqueClicks: sum((r) => r.unique_clicks),
        filtered: sum((r) => r.clicked_preview_fetch + r.clicked_scanner + r.clicked_unknown),
      },
      run.late,
    )
    assert.ok(run.late.clicks > 0)

    const senderRows = await m.db
      .selectFrom('sender_daily_sends')
      .select([sql<string>`day::text`.as('day'), 'sender_id', sql<number>`sum(sends)::int`.as('sends')])
      .groupBy(['day', 'sender_id'])
      .execute()
    assert.deepEqual(
      new Map(senderRows.map((r) => [`${r.day}|${r.sender_id}`, r.sends])),
      new Map([...run.senders].sort()),
    )

    // Replay: every batch again, both ways; nothing is recorded and nothing moves.
    for (const batch of run.batches) {
      const res = await post(wire(batch))
      assert.equal(res.json().recorded, 0)
      assert.equal((await recordEvents(m.db, batch)).recorded, 0)
    }
    assert.deepEqual(await listRollups(m.db, range), expected)
    const lateAfter = await m.db.selectFrom('share_rollups_late').selectAll().execute()
    assert.deepEqual(lateAfter, lateRows)
    const { count } = await m.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow()
    assert.equal(Number(count), recorded)
  })

  test('a click more than 7 days after its send goes to the late bucket, by the day it arrived', async () => {
    const sendId = randomUUID()
    const at = new Date('2026-06-10T23:00:00Z')
    await recordEvents(m.db, [
      {
        type: 'recommendation.sent',
        sendId,
        senderId: randomUUID(),
        titleId: 'title-late',
        interface: 'tv',
        surface: 'search',
        variant: 'quick',
        recipientType: 'external',
        at,
      },
    ])
    const inWindow = new Date(at.getTime() + CLICK_WINDOW_MS)
    const late = new Date(at.getTime() + CLICK_WINDOW_MS + 1)
    await recordEvents(m.db, [
      { type: 'recommendation.click_confirmed', id: randomUUID(), sendId, at: late },
      { type: 'recommendation.clicked', id: randomUUID(), sendId, clickClass: 'scanner', at: late },
    ])
    await recordEvents(m.db, [
      { type: 'recommendation.click_confirmed', id: randomUUID(), sendId, at: inWindow },
    ])
    const [row] = await listRollups(m.db, { from: '2026-06-10', to: '2026-06-10' })
    assert.deepEqual(
      {
        sends: row?.sends,
        clicks: row?.clicks,
        uniqueClicks: row?.uniqueClicks,
        scanner: row?.clickedByClass.scanner,
      },
      { sends: 1, clicks: 1, uniqueClicks: 1, scanner: 0 },
    )
    const lateRows = await m.db
      .selectFrom('share_rollups_late')
      .select([
        sql<string>`day::text`.as('day'),
        sql<string>`arrived_day::text`.as('arrived'),
        'clicks',
        'unique_clicks',
        'clicked_scanner',
      ])
      .where('day', '=', '2026-06-10')
      .execute()
    assert.deepEqual(lateRows, [
      { day: '2026-06-10', arrived: '2026-06-17', clicks: 1, unique_clicks: 1, clicked_scanner: 1 },
    ])
  })

  test('a click that raced its send (stored before the send committed) is rolled up by the next ingest', async () => {
    const sendId = randomUUID()
    const at = new Date('2026-07-01T12:00:00Z')
    await recordEvents(m.db, [
      {
        type: 'recommendation.sent',
        sendId,
        senderId: randomUUID(),
        titleId: 'title-race',
        interface: 'mobile',
        surface: 'browse_row',
        variant: 'classic',
        recipientType: 'tandem',
        at,
      },
    ])
    // What a concurrent batch leaves behind when it did not see the send: the click, not rolled up.
    await m.db
      .insertInto('events')
      .values({
        id: randomUUID(),
        type: 'recommendation.click_confirmed',
        send_id: sendId,
        occurred_at: new Date(at.getTime() + 60_000),
        received_at: at,
        sender_id: null,
        title_id: null,
        interface: null,
        surface: null,
        variant: null,
        recipient_type: null,
        click_class: null,
        rolled_up: false,
      })
      .execute()
    const day = { from: '2026-07-01', to: '2026-07-01' }
    assert.equal((await listRollups(m.db, day))[0]?.clicks, 0)
    await recordEvents(m.db, [
      { type: 'recommendation.clicked', id: randomUUID(), sendId: randomUUID(), clickClass: 'unknown', at },
    ])
    const [row] = await listRollups(m.db, day)
    assert.deepEqual([row?.sends, row?.clicks, row?.uniqueClicks], [1, 1, 1])
  })

  test('POST /events needs the ingest token', async () => {
    const events = [
      {
        type: 'recommendation.click_confirmed',
        id: randomUUID(),
        sendId: randomUUID(),
        at: new Date().toISOString(),
      },
    ]
    for (const authorization of ['', 'Bearer nope', auth.toLowerCase()]) {
      const res = await post(events, authorization)
      assert.equal(res.statusCode, 401)
      assert.deepEqual(res.json(), {
        error: { code: 'invalid_token', message: 'a valid ingest token is required' },
      })
    }
  })

  test('bad input to POST /events is a 4xx with a stable code, never a 500', async () => {
    const good = {
      type: 'recommendation.sent',
      sendId: randomUUID(),
      senderId: randomUUID(),
      titleId: 't',
      interface: 'web',
      surface: 'title_page',
      variant: 'classic',
      recipientType: 'tandem',
      at: '2026-03-01T00:00:00Z',
    }
    const bad: unknown[] = [
      [],
      'x',
      [null],
      [{ ...good, type: 'recommendation.deleted' }],
      [{ ...good, interface: 'fridge' }],
      [{ ...good, surface: 'nowhere' }],
      [{ ...good, variant: 'Has Spaces' }],
      [{ ...good, recipientType: 'carrier_pigeon' }],
      [{ ...good, sendId: 'not-a-uuid' }],
      [{ ...good, at: 'yesterday' }],
      [{ ...good, at: '1970-01-01T00:00:00Z' }],
      [{ ...good, extra: 1 }],
      [
        {
          type: 'recommendation.clicked',
          id: randomUUID(),
          sendId: randomUUID(),
          clickClass: 'robot',
          at: good.at,
        },
      ],
      Array.from({ length: 1001 }, () => good),
    ]
    for (const events of bad) {
      const res = await post(events)
      assert.equal(res.statusCode, 400, `${JSON.stringify(events).slice(0, 80)} → ${res.body}`)
      assert.equal(res.json().error.code, 'validation_failed')
    }
    const notJson = await m.app.inject({
      method: 'POST',
      url: '/events',
      headers: { authorization: auth, 'content-type': 'application/json' },
      payload: '{"events": [',
    })
    assert.equal(notJson.statusCode, 400)
    assert.equal(notJson.json().error.code, 'invalid_json')
    assert.ok(CLICK_CLASSES.length === 4)
  })
})
