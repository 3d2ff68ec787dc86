import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ingestTestDatabase, testConfirmedClick, testSend } from '../testing.ts'
import { listRollups, recordEvents } from './events.service.ts'
import { RecentSends } from './recent-sends.ts'

const AT = new Date('2026-05-04T10:00:00Z')
const RANGE = { from: '2026-05-01', to: '2026-05-31' }

const database = ingestTestDatabase()

const sent = (sendId?: string) => testSend(AT, undefined, sendId)
const click = (sendId: string) => testConfirmedClick(sendId, AT)

const cell = async () => {
  const [row, ...rest] = await listRollups(database().db, RANGE)
  assert.equal(rest.length, 0)
  return { sends: row?.sends, clicks: row?.clicks, uniqueClicks: row?.uniqueClicks }
}

test('RecentSends keeps at most its bound, forgetting the oldest first, and only adds unique clicks', () => {
  const recent = new RecentSends(2)
  const send = { sentMs: 1, senderId: null, dims: 'web|post_play|classic|tandem', confirmed: 1 }
  recent.remember('a', send)
  recent.remember('b', send)
  recent.remember('a', { ...send, confirmed: 2 })
  recent.remember('c', send)
  assert.equal(recent.size, 2)
  assert.equal(recent.get('a'), undefined, 'the oldest went first')
  assert.equal(recent.get('b')?.confirmed, 1)
  recent.remember('b', { ...send, confirmed: 0 })
  assert.equal(recent.get('b')?.confirmed, 1, 'a unique click once known is never unknown again')
  assert.deepEqual({ hits: recent.hits, misses: recent.misses }, { hits: 2, misses: 1 })
})

test("a batch's clicks find their send in memory, and the rollups are what a lookup gives", async () => {
  const recent = new RecentSends()
  const sends = [sent(), sent(), sent()]
  await recordEvents(database().db, sends, { recentSends: recent })
  assert.equal(recent.size, 3, 'the committed batch taught its sends')
  await recordEvents(
    database().db,
    sends.flatMap((s) => click(s.sendId)),
    { recentSends: recent },
  )
  assert.deepEqual({ hits: recent.hits, misses: recent.misses }, { hits: 3, misses: 0 })
  assert.deepEqual(await cell(), { sends: 3, clicks: 3, uniqueClicks: 3 })
  // A second confirmed click of a send: its unique click is known in memory now, and not counted again.
  await recordEvents(database().db, click(sends[0]!.sendId), { recentSends: recent })
  assert.deepEqual(await cell(), { sends: 3, clicks: 4, uniqueClicks: 3 })
})

test("a unique click another process counted is not counted again when this process's memory is behind", async () => {
  const recent = new RecentSends()
  const s = sent()
  await recordEvents(database().db, [s], { recentSends: recent })
  // Another process (no shared memory) records the send's first confirmed click.
  await recordEvents(database().db, click(s.sendId))
  assert.equal(recent.get(s.sendId)?.confirmed, 0, 'this process does not know of it')
  await recordEvents(database().db, click(s.sendId), { recentSends: recent })
  assert.deepEqual(await cell(), { sends: 1, clicks: 2, uniqueClicks: 1 })
})

test('a batch that fails teaches nothing', async () => {
  const recent = new RecentSends()
  // The second send's id is no uuid: PostgreSQL refuses the batch after the first one was read.
  await assert.rejects(recordEvents(database().db, [sent(), sent('not-a-uuid')], { recentSends: recent }))
  assert.equal(recent.size, 0)
  assert.deepEqual(await listRollups(database().db, RANGE), [])
})
