import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { ManualClock } from '../../lib/clock.ts'
import { createTestDatabase } from '../../lib/testing/test-db.ts'
import type { Db, TandemDatabase } from '../db.ts'
import { migrations } from '../migrations/index.ts'
import { makeTestUser, registerTestPartner } from '../oauth/testing.ts'
import { ClickRecorder } from './click-recorder.ts'

// Shim clicks on partner-sent cards feed Tandem's own daily counts, in the click batch's transaction.

let database: Awaited<ReturnType<typeof createTestDatabase<TandemDatabase>>>
let db: Db
const clock = new ManualClock('2026-03-04T10:00:00Z')

before(async () => {
  database = await createTestDatabase<TandemDatabase>('tandem', migrations)
  db = database.db
})

after(async () => {
  await database?.drop()
})

async function partnerSend(clientId: string, senderId: string, recipientId: string, context: string[]) {
  const linkId = randomBytes(16).toString('base64url')
  await db
    .insertInto('links')
    .values({
      id: linkId,
      url: 'https://marquee.example/t/1',
      message_id: null,
      via_client_id: clientId,
      created_at: clock.now(),
    })
    .execute()
  await db
    .insertInto('partner_sends')
    .values({
      id: randomUUID(),
      client_id: clientId,
      sender_id: senderId,
      recipient_id: recipientId,
      recipient_kind: 'app_friend',
      message_id: null,
      link_id: linkId,
      day: '2026-03-04',
      interface: context[0]!,
      surface: context[1]!,
      variant: context[2]!,
      created_at: clock.now(),
    })
    .execute()
  return linkId
}

async function counts(clientId: string) {
  const rows = await db
    .selectFrom('partner_daily_counts')
    .select(['interface', 'clicks', 'unique_clicks'])
    .where('client_id', '=', clientId)
    .orderBy('interface')
    .execute()
  return rows.map((r) => ({ interface: r.interface, clicks: r.clicks, unique: r.unique_clicks }))
}

test('clicks and first clicks per send land on the send day and context; other links count nothing', async () => {
  const partner = await registerTestPartner(db, clock.now())
  const [ana, ben] = [await makeTestUser(db), await makeTestUser(db)]
  const web = await partnerSend(partner.clientId, ana.id, ben.id, ['web', 'post_play', 'a'])
  const tv = await partnerSend(partner.clientId, ana.id, ben.id, ['tv', 'search', 'b'])
  const plain = randomBytes(16).toString('base64url')
  await db
    .insertInto('links')
    .values({
      id: plain,
      url: 'https://example.com/',
      message_id: null,
      via_client_id: null,
      created_at: clock.now(),
    })
    .execute()

  const recorder = new ClickRecorder(db, clock, 60_000)
  for (const id of [web, web, tv, plain]) recorder.record(id)
  await recorder.flush()
  assert.deepEqual(await counts(partner.clientId), [
    { interface: 'tv', clicks: 1, unique: 1 },
    { interface: 'web', clicks: 2, unique: 1 },
  ])
  clock.advance(60_000)
  recorder.record(web)
  await recorder.flush()
  assert.deepEqual(await counts(partner.clientId), [
    { interface: 'tv', clicks: 1, unique: 1 },
    { interface: 'web', clicks: 3, unique: 1 },
  ])
  const first = await db
    .selectFrom('partner_sends')
    .select('first_clicked_at')
    .where('link_id', '=', web)
    .executeTakeFirstOrThrow()
  assert.equal(first.first_clicked_at?.toISOString(), '2026-03-04T10:00:00.000Z')

  // A batch that cannot be written (a click on a link that no longer exists) counts nothing either.
  await db.deleteFrom('links').where('id', '=', plain).execute()
  recorder.record(tv)
  recorder.record(plain)
  await recorder.flush()
  assert.deepEqual(await counts(partner.clientId), [
    { interface: 'tv', clicks: 1, unique: 1 },
    { interface: 'web', clicks: 3, unique: 1 },
  ])
  assert.equal(recorder.pending, 2)
  await recorder.close().catch(() => {})
})
