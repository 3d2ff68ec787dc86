import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { newId } from '../../lib/ids.ts'
import type { Agreement } from './agreements.repository.ts'
import { type ReceivedReport, reportSchedule } from './compliance.service.ts'
import { makePartnerTandem, type PartnerTandem, partnerBody } from './testing.ts'

const received = new Map<string, ReceivedReport[]>()

let t: PartnerTandem
let admin: Awaited<ReturnType<PartnerTandem['makeUser']>>
before(async () => {
  t = await makePartnerTandem(
    {},
    {
      start: '2026-03-02T09:30:00Z',
      findReceivedReports: async (_db, clientId) => received.get(clientId) ?? [],
    },
  )
  admin = await t.makeUser({ isAdmin: true })
})
after(() => t.close())

const compliance = (clientId: string) =>
  t.as(admin, { method: 'GET', url: `/api/admin/partners/${clientId}/compliance` })

async function partnerWithAgreement(clientId: string, agreement: Record<string, unknown>) {
  t.clock.set('2026-03-02T09:30:00Z')
  assert.equal(
    (await t.as(admin, { method: 'POST', url: '/api/admin/partners', payload: partnerBody({ clientId }) }))
      .statusCode,
    201,
  )
  const res = await t.as(admin, {
    method: 'POST',
    url: '/api/admin/agreements',
    payload: { clientId, ...agreement },
  })
  assert.equal(res.statusCode, 201, res.body)
  return res.json().agreements as Array<{ id: string; api: string }>
}

describe('compliance (story 8)', () => {
  test('reports fall due every N days from the agreement start, two days after each period; then late', async () => {
    const [inbox] = await partnerWithAgreement('biweekly', {
      apis: ['inbox', 'friends'],
      validUntil: '2026-04-30',
      obligations: { reportEveryDays: 14 },
    })
    const first = {
      periodStart: '2026-03-02T00:00:00.000Z',
      periodEnd: '2026-03-16T00:00:00.000Z',
      dueAt: '2026-03-18T00:00:00.000Z',
    }
    const now = await compliance('biweekly')
    assert.equal(now.statusCode, 200)
    assert.deepEqual(now.json(), {
      clientId: 'biweekly',
      name: 'Marquee',
      status: 'active',
      inAgreement: true,
      agreements: [
        {
          id: now.json().agreements[0].id,
          api: 'friends',
          version: 1,
          validFrom: '2026-03-02T09:30:00.000Z',
          validUntil: '2026-05-01T00:00:00.000Z',
          endedAt: null,
          endReason: null,
          status: 'active',
        },
        {
          id: inbox!.id,
          api: 'inbox',
          version: 1,
          validFrom: '2026-03-02T09:30:00.000Z',
          validUntil: '2026-05-01T00:00:00.000Z',
          endedAt: null,
          endReason: null,
          status: 'active',
        },
      ],
      reports: { everyDays: 14, due: [{ ...first, status: 'due' }] },
      deletionReceipts: { outstanding: 0, overdue: 0, received: 0 },
      grants: { active: 0, revoked: 0 },
      recipientControls: { muted: 0, reports: 0 },
    })

    t.clock.set('2026-03-18T00:00:00Z')
    assert.deepEqual((await compliance('biweekly')).json().reports.due, [
      { ...first, status: 'due' },
      {
        periodStart: '2026-03-16T00:00:00.000Z',
        periodEnd: '2026-03-30T00:00:00.000Z',
        dueAt: '2026-04-01T00:00:00.000Z',
        status: 'due',
      },
    ])
    t.clock.set('2026-03-18T00:00:00.001Z')
    assert.equal((await compliance('biweekly')).json().reports.due[0].status, 'late')

    received.set('biweekly', [
      { periodStart: new Date('2026-03-02T00:00:00Z'), receivedAt: new Date('2026-03-19T10:00:00Z') },
    ])
    t.clock.set('2026-04-02T00:00:00Z')
    assert.deepEqual(
      (await compliance('biweekly'))
        .json()
        .reports.due.map((p: { status: string; receivedAt?: string }) => [p.status, p.receivedAt ?? null]),
      [
        ['received', '2026-03-19T10:00:00.000Z'],
        ['late', null],
        ['due', null],
      ],
    )

    t.clock.set('2026-06-01T00:00:00Z')
    const lapsed = (await compliance('biweekly')).json()
    assert.equal(lapsed.inAgreement, false, 'out of agreement once it lapses')
    assert.deepEqual(
      lapsed.agreements.map((a: { status: string }) => a.status),
      ['lapsed', 'lapsed'],
    )
    assert.deepEqual(
      lapsed.reports.due.map((p: { periodStart: string }) => p.periodStart.slice(0, 10)),
      ['2026-03-02', '2026-03-16', '2026-03-30', '2026-04-13', '2026-04-27'],
      'periods stop where the agreement stopped; the last partial period is still owed',
    )
  })

  test('no reporting obligation: no schedule; a suspended partner is out of agreement', async () => {
    await partnerWithAgreement('no-reports', { apis: ['friends'], validUntil: '2027-01-01' })
    const res = (await compliance('no-reports')).json()
    assert.deepEqual(res.reports, { everyDays: null, due: [] })
    assert.equal(res.inAgreement, true)
    await t.as(admin, { method: 'POST', url: '/api/admin/partners/no-reports/suspend' })
    const suspended = (await compliance('no-reports')).json()
    assert.equal(suspended.inAgreement, false)
    assert.equal(suspended.status, 'suspended')
    assert.equal(suspended.agreements[0].status, 'active')
  })

  test('deletion receipts (outstanding, of those overdue, received) and grants are counted', async () => {
    await partnerWithAgreement('counted', { apis: ['inbox'], validUntil: '2027-01-01' })
    const user = await t.makeUser()
    const now = t.clock.now()
    const day = 86_400_000
    await t.db
      .insertInto('partner_grants')
      .values(
        ['g1', 'g2', 'g3'].map((grantId, i) => ({
          grant_id: `counted-${grantId}`,
          user_id: user.id,
          client_id: 'counted',
          scopes: JSON.stringify(['recommendations.send']),
          created_at: now,
          updated_at: now,
          revoked_at: i === 2 ? now : null,
          revoked_reason: i === 2 ? 'user' : null,
        })),
      )
      .execute()
    const request = (dueInDays: number, receivedAt: Date | null) => ({
      id: newId(),
      grant_id: 'counted-g3',
      user_id: user.id,
      client_id: 'counted',
      requested_at: new Date(now.getTime() - 10 * day),
      due_at: new Date(now.getTime() + dueInDays * day),
      received_at: receivedAt,
    })
    await t.db
      .insertInto('deletion_requests')
      .values([request(-1, null), request(5, null), request(-3, now), request(-2, null)])
      .execute()
    const res = (await compliance('counted')).json()
    assert.deepEqual(res.deletionReceipts, { outstanding: 3, overdue: 2, received: 1 })
    assert.deepEqual(res.grants, { active: 2, revoked: 1 })
    assert.deepEqual(res.recipientControls, { muted: 0, reports: 0 })
  })

  test('recipient controls: users who muted the partner and reports about its messages', async () => {
    await partnerWithAgreement('controlled', { apis: ['inbox'], validUntil: '2027-01-01' })
    const [u1, u2, u3] = [await t.makeUser(), await t.makeUser(), await t.makeUser()]
    const now = t.clock.now()
    await t.db
      .insertInto('partner_mutes')
      .values([u1, u2].map((u) => ({ user_id: u.id, client_id: 'controlled', created_at: now })))
      .execute()
    await t.db
      .insertInto('partner_abuse_reports')
      .values(
        [u1, u2, u3].map((u, i) => ({
          id: newId(),
          user_id: u.id,
          client_id: 'controlled',
          message_id: null,
          reason: ['spam', 'offensive', 'other'][i]!,
          created_at: now,
        })),
      )
      .execute()
    assert.deepEqual((await compliance('controlled')).json().recipientControls, { muted: 2, reports: 3 })
    const overview = (await t.as(admin, { method: 'GET', url: '/api/admin/compliance' })).json()
    assert.deepEqual(
      overview.partners.find((p: { clientId: string }) => p.clientId === 'controlled').recipientControls,
      { muted: 2, reports: 3 },
    )
    // The same counts as the recipient-controls endpoint.
    const controls = await t.as(admin, {
      method: 'GET',
      url: '/api/admin/partners/controlled/recipient-controls',
    })
    assert.deepEqual(controls.json(), { muted: 2, reports: 3 })
  })

  test('the overview has every partner; an unknown partner is 404', async () => {
    t.clock.set('2026-03-20T00:00:00Z')
    const res = await t.as(admin, { method: 'GET', url: '/api/admin/compliance' })
    assert.equal(res.statusCode, 200)
    const ids = res.json().partners.map((p: { clientId: string }) => p.clientId)
    for (const id of ['biweekly', 'no-reports', 'counted']) assert.ok(ids.includes(id), id)
    const one = (await compliance('counted')).json()
    assert.deepEqual(
      res.json().partners.find((p: { clientId: string }) => p.clientId === 'counted'),
      one,
      'the overview entry equals the single-partner summary',
    )
    const missing = await compliance('nobody-here')
    assert.equal(missing.statusCode, 404)
    assert.deepEqual(missing.json(), { error: { code: 'partner_not_found', message: 'partner not found' } })
  })
})

describe('report schedule', () => {
  const agreement = (over: Partial<Agreement>): Agreement => ({
    id: newId(),
    client_id: 'p',
    api: 'inbox',
    version: 1,
    valid_from: new Date('2026-01-01T15:00:00Z'),
    valid_until: new Date('2026-12-31T00:00:00Z'),
    ended_at: null,
    end_reason: null,
    obligations: { reportEveryDays: 7 },
    created_by: null,
    created_at: new Date('2026-01-01T00:00:00Z'),
    ...over,
  })
  const starts = (s: ReturnType<typeof reportSchedule>) =>
    s.due.map((p) => p.periodStart.toISOString().slice(0, 10))

  test('an extension continues the same grid; a gap between agreements owes nothing', () => {
    const v1 = agreement({
      valid_until: new Date('2026-01-20T00:00:00Z'),
      ended_at: new Date('2026-01-10T00:00:00Z'),
    })
    const v2 = agreement({
      version: 2,
      valid_from: new Date('2026-01-10T00:00:00Z'),
      valid_until: new Date('2026-01-22T00:00:00Z'),
    })
    const v3 = agreement({
      version: 3,
      valid_from: new Date('2026-02-12T00:00:00Z'),
      valid_until: new Date('2026-03-01T00:00:00Z'),
    })
    const s = reportSchedule([v1, v2, v3], new Date('2026-02-20T00:00:00Z'), [])
    assert.equal(s.everyDays, 7)
    assert.deepEqual(starts(s), ['2026-01-01', '2026-01-08', '2026-01-15', '2026-02-12', '2026-02-19'])
    assert.deepEqual(
      s.due.map((p) => p.status),
      ['late', 'late', 'late', 'due', 'due'],
    )
  })

  test('the latest cadence counts; friends and activity agreements set no schedule; future agreements owe nothing yet', () => {
    const now = new Date('2026-01-05T00:00:00Z')
    assert.deepEqual(reportSchedule([agreement({ api: 'friends' })], now, []), { everyDays: null, due: [] })
    const future = agreement({
      api: 'reporting',
      valid_from: new Date('2026-02-01T00:00:00Z'),
      obligations: { reportEveryDays: 14 },
    })
    assert.deepEqual(reportSchedule([future], now, []), { everyDays: 14, due: [] })
    const s = reportSchedule(
      [
        agreement({}),
        agreement({
          api: 'reporting',
          version: 1,
          valid_from: new Date('2026-01-02T00:00:00Z'),
          obligations: { reportEveryDays: 2 },
        }),
      ],
      now,
      [],
    )
    assert.equal(s.everyDays, 2)
    assert.deepEqual(starts(s), ['2026-01-01', '2026-01-03'])
  })
})
