import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { PARTNER_STATE_CHANNEL } from '../partner-api/state-changes.ts'
import {
  type AgreementChange,
  API_SCOPES,
  activeAgreements,
  apiOfScope,
  coveredScopes,
  isScopeCovered,
  PRIVILEGED_SCOPES,
} from './agreements.service.ts'
import { makePartnerTandem, type PartnerTandem, partnerBody } from './testing.ts'

const changes: AgreementChange[] = []
let failNextChange = false
let commits = 0

let t: PartnerTandem
let admin: Awaited<ReturnType<PartnerTandem['makeUser']>>
before(async () => {
  t = await makePartnerTandem(
    {},
    {
      start: '2026-03-02T09:30:00Z',
      afterCommit: () => {
        commits += 1
      },
      onAgreementChange: async (trx, change) => {
        // Proves the listener runs inside the change's transaction: it sees the uncommitted row.
        const row = await trx
          .selectFrom('agreements')
          .select('id')
          .where('id', '=', change.agreement.id)
          .executeTakeFirst()
        assert.ok(row)
        if (failNextChange) {
          failNextChange = false
          throw new Error('listener failed')
        }
        changes.push(change)
      },
    },
  )
  admin = await t.makeUser({ isAdmin: true })
})
after(() => t.close())
beforeEach(() => {
  t.clock.set('2026-03-02T09:30:00Z')
  changes.length = 0
})

let partnerCount = 0
async function newPartner(): Promise<string> {
  partnerCount += 1
  const clientId = `agreement-partner-${partnerCount}`
  const res = await t.as(admin, {
    method: 'POST',
    url: '/api/admin/partners',
    payload: partnerBody({ clientId }),
  })
  assert.equal(res.statusCode, 201)
  return clientId
}
const createAgreements = (payload: object) =>
  t.as(admin, { method: 'POST', url: '/api/admin/agreements', payload })
const extend = (id: string, validUntil: string) =>
  t.as(admin, { method: 'POST', url: `/api/admin/agreements/${id}/extend`, payload: { validUntil } })
const end = (id: string, reason = 'partner asked') =>
  t.as(admin, { method: 'POST', url: `/api/admin/agreements/${id}/end`, payload: { reason } })

describe('the API to scope map', () => {
  test('each privileged API unlocks its scopes; nothing else needs an agreement', () => {
    assert.deepEqual(API_SCOPES, {
      inbox: ['recommendations.send'],
      friends: ['friends.app', 'friends.suggest'],
      activity: ['activity.publish'],
      reporting: ['reports.submit'],
    })
    assert.equal(apiOfScope('friends.suggest'), 'friends')
    assert.equal(apiOfScope('openid'), undefined)
    assert.equal(PRIVILEGED_SCOPES.has('recommendations.send'), true)
    assert.equal(PRIVILEGED_SCOPES.has('offline_access'), false)
  })
})

describe('creating agreements', () => {
  test('one versioned agreement per API, from now until the end of the given day', async () => {
    const clientId = await newPartner()
    const res = await createAgreements({
      clientId,
      apis: ['inbox', 'friends'],
      validUntil: '2027-06-30',
      obligations: { reportEveryDays: 14, deletionReceiptDays: 30 },
    })
    assert.equal(res.statusCode, 201)
    const { agreements } = res.json()
    assert.equal(agreements.length, 2)
    const [inbox, friends] = agreements
    assert.deepEqual(
      { ...inbox, id: undefined },
      {
        id: undefined,
        clientId,
        api: 'inbox',
        version: 1,
        scopes: ['recommendations.send'],
        validFrom: '2026-03-02T09:30:00.000Z',
        validUntil: '2027-07-01T00:00:00.000Z',
        endedAt: null,
        endReason: null,
        obligations: { reportEveryDays: 14, deletionReceiptDays: 30 },
        createdBy: admin.id,
        createdAt: '2026-03-02T09:30:00.000Z',
        status: 'active',
      },
    )
    assert.equal(friends.api, 'friends')
    assert.deepEqual(friends.scopes, ['friends.app', 'friends.suggest'])
    assert.deepEqual(
      changes.map((c) => [c.type, c.agreement.api]),
      [
        ['agreement.created', 'inbox'],
        ['agreement.created', 'friends'],
      ],
    )
  })

  test('a later agreement for the same API is the next version; an overlapping one is refused', async () => {
    const clientId = await newPartner()
    const first = (await createAgreements({ clientId, apis: ['inbox'], validUntil: '2026-06-30' })).json()
      .agreements[0]
    const overlap = await createAgreements({
      clientId,
      apis: ['friends', 'inbox'],
      validFrom: '2026-06-01',
      validUntil: '2026-12-31',
    })
    assert.equal(overlap.statusCode, 409)
    assert.deepEqual(overlap.json(), {
      error: {
        code: 'agreement_overlaps',
        message: 'an agreement for inbox already covers part of that period; extend or end it first',
        details: { api: 'inbox', agreementId: first.id },
      },
    })
    const list = (
      await t.as(admin, { method: 'GET', url: `/api/admin/agreements?clientId=${clientId}` })
    ).json()
    assert.equal(list.agreements.length, 1, 'the refused request created nothing, friends included')
    const next = await createAgreements({
      clientId,
      apis: ['inbox'],
      validFrom: '2026-07-01',
      validUntil: '2026-12-31',
    })
    assert.equal(next.statusCode, 201)
    assert.equal(next.json().agreements[0].version, 2)
    assert.equal(next.json().agreements[0].status, 'future')
    assert.equal(next.json().agreements[0].validFrom, '2026-07-01T00:00:00.000Z')
    await end(first.id)
    const third = await createAgreements({
      clientId,
      apis: ['inbox'],
      validUntil: '2026-05-01T12:00:00+02:00',
    })
    assert.equal(third.statusCode, 201, 'an ended agreement does not block a new one')
    assert.equal(third.json().agreements[0].version, 3)
    assert.equal(third.json().agreements[0].validUntil, '2026-05-01T10:00:00.000Z')
  })

  test('validity must end after it starts and after now', async () => {
    const clientId = await newPartner()
    const backwards = await createAgreements({
      clientId,
      apis: ['inbox'],
      validFrom: '2026-08-01',
      validUntil: '2026-07-31T23:59:59Z',
    })
    assert.equal(backwards.statusCode, 400)
    assert.deepEqual(backwards.json(), {
      error: { code: 'invalid_validity_period', message: 'validUntil must be after validFrom' },
    })
    const past = await createAgreements({
      clientId,
      apis: ['inbox'],
      validFrom: '2025-01-01',
      validUntil: '2026-03-01',
    })
    assert.equal(past.statusCode, 400)
    assert.deepEqual(past.json(), {
      error: { code: 'invalid_validity_period', message: 'validUntil must be in the future' },
    })
  })

  test('unknown partners and malformed input', async () => {
    const unknown = await createAgreements({
      clientId: 'no-such-partner',
      apis: ['inbox'],
      validUntil: '2027-01-01',
    })
    assert.equal(unknown.statusCode, 404)
    assert.deepEqual(unknown.json(), { error: { code: 'partner_not_found', message: 'partner not found' } })
    const clientId = await newPartner()
    for (const payload of [
      { clientId, apis: [], validUntil: '2027-01-01' },
      { clientId, apis: ['inbox', 'inbox'], validUntil: '2027-01-01' },
      { clientId, apis: ['messages'], validUntil: '2027-01-01' },
      { clientId, apis: ['inbox'], validUntil: '2027-02-30' },
      { clientId, apis: ['inbox'], validUntil: 'next year' },
      { clientId, apis: ['inbox'], validUntil: '2300-01-01' },
      { clientId, apis: ['inbox'], validUntil: '2027-01-01', obligations: { reportEveryDays: 0 } },
      { clientId, apis: ['inbox'], validUntil: '2027-01-01', obligations: { other: 1 } },
      { clientId, apis: ['inbox'] },
    ]) {
      const res = await createAgreements(payload)
      assert.equal(res.statusCode, 400, JSON.stringify(payload))
      assert.equal(res.json().error.code, 'validation_failed', JSON.stringify(payload))
    }
  })
})

describe('extending and ending', () => {
  test('extend: a new version supersedes the old one from now, keeping the obligations', async () => {
    const clientId = await newPartner()
    const [old] = (
      await createAgreements({
        clientId,
        apis: ['inbox'],
        validUntil: '2026-06-30',
        obligations: { reportEveryDays: 14 },
      })
    ).json().agreements
    t.clock.set('2026-05-10T08:00:00Z')
    changes.length = 0
    const res = await extend(old.id, '2027-06-30')
    assert.equal(res.statusCode, 201)
    const { agreement, superseded } = res.json()
    assert.equal(agreement.version, 2)
    assert.equal(agreement.validFrom, '2026-05-10T08:00:00.000Z')
    assert.equal(agreement.validUntil, '2027-07-01T00:00:00.000Z')
    assert.deepEqual(agreement.obligations, { reportEveryDays: 14 })
    assert.equal(agreement.status, 'active')
    assert.equal(superseded.id, old.id)
    assert.equal(superseded.endedAt, '2026-05-10T08:00:00.000Z')
    assert.equal(superseded.endReason, 'superseded')
    assert.equal(superseded.status, 'ended')
    assert.deepEqual(
      changes.map((c) => [c.type, c.agreement.id, c.type === 'agreement.extended' ? c.previous.id : null]),
      [['agreement.extended', agreement.id, old.id]],
    )
    assert.deepEqual(
      [...(await coveredScopes(t.db, clientId, t.clock.now()))],
      ['recommendations.send'],
      'no gap at the moment of extension',
    )
    const twice = await extend(old.id, '2028-01-01')
    assert.equal(twice.statusCode, 409)
    assert.deepEqual(twice.json(), {
      error: { code: 'agreement_ended', message: 'this agreement has ended; create a new one instead' },
    })
    const shorter = await extend(agreement.id, '2027-01-01')
    assert.equal(shorter.statusCode, 400)
    assert.deepEqual(shorter.json(), {
      error: {
        code: 'invalid_validity_period',
        message: 'validUntil must be after the current end, 2027-07-01T00:00:00.000Z',
      },
    })
  })

  test('a lapsed agreement can be renewed by extending it; a future one keeps its start', async () => {
    const clientId = await newPartner()
    const [lapsing] = (
      await createAgreements({ clientId, apis: ['friends'], validUntil: '2026-04-01' })
    ).json().agreements
    t.clock.set('2026-05-01T00:00:00Z')
    assert.deepEqual([...(await coveredScopes(t.db, clientId, t.clock.now()))], [])
    const renewed = await extend(lapsing.id, '2026-12-31')
    assert.equal(renewed.statusCode, 201)
    assert.equal(renewed.json().agreement.validFrom, '2026-05-01T00:00:00.000Z')
    assert.equal(renewed.json().superseded.endReason, 'superseded')
    const [future] = (
      await createAgreements({
        clientId,
        apis: ['activity'],
        validFrom: '2026-09-01',
        validUntil: '2026-10-01',
      })
    ).json().agreements
    const later = await extend(future.id, '2026-11-30')
    assert.equal(later.json().agreement.validFrom, '2026-09-01T00:00:00.000Z')
    assert.equal(later.json().agreement.status, 'future')
  })

  test('end: the agreement stops now with the reason; ending twice is a conflict', async () => {
    const clientId = await newPartner()
    const [a] = (await createAgreements({ clientId, apis: ['reporting'], validUntil: '2027-01-01' })).json()
      .agreements
    t.clock.advance(3_600_000)
    changes.length = 0
    const res = await end(a.id, 'breach of the reporting obligation')
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().agreement.endedAt, '2026-03-02T10:30:00.000Z')
    assert.equal(res.json().agreement.endReason, 'breach of the reporting obligation')
    assert.equal(res.json().agreement.status, 'ended')
    assert.deepEqual(
      changes.map((c) => c.type),
      ['agreement.ended'],
    )
    const again = await end(a.id)
    assert.equal(again.statusCode, 409)
    assert.equal(again.json().error.code, 'agreement_ended')
    const unknown = await end('00000000-0000-4000-8000-000000000000')
    assert.equal(unknown.statusCode, 404)
    assert.deepEqual(unknown.json(), {
      error: { code: 'agreement_not_found', message: 'agreement not found' },
    })
    const badId = await end('not-a-uuid')
    assert.equal(badId.json().error.code, 'validation_failed')
    const noReason = await t.as(admin, {
      method: 'POST',
      url: `/api/admin/agreements/${a.id}/end`,
      payload: {},
    })
    assert.equal(noReason.json().error.code, 'validation_failed')
  })

  test('every change tells the partner API guards on every instance (NOTIFY on commit), and this one at once', async () => {
    const clientId = await newPartner()
    const heard: string[] = []
    const stop = await t.database.listen(PARTNER_STATE_CHANNEL, (payload) => heard.push(payload))
    try {
      commits = 0
      const [a] = (await createAgreements({ clientId, apis: ['inbox'], validUntil: '2027-01-01' })).json()
        .agreements
      await extend(a.id, '2027-06-01')
      await t.as(admin, { method: 'POST', url: `/api/admin/partners/${clientId}/suspend` })
      assert.equal(commits, 3, 'afterCommit after each committed change')
      const expected = [`agreement:${clientId}`, `agreement:${clientId}`, `partner:${clientId}`]
      for (let i = 0; i < 100 && heard.length < expected.length; i++)
        await new Promise((r) => setTimeout(r, 20))
      assert.deepEqual(heard, expected)
      failNextChange = true
      await createAgreements({ clientId, apis: ['friends'], validUntil: '2027-01-01' })
      await new Promise((r) => setTimeout(r, 100))
      assert.equal(heard.length, 3, 'a rolled-back change announces nothing')
      assert.equal(commits, 3)
    } finally {
      await stop()
    }
  })

  test('when the change listener fails, the change rolls back', async () => {
    const clientId = await newPartner()
    failNextChange = true
    const res = await createAgreements({ clientId, apis: ['inbox'], validUntil: '2027-01-01' })
    assert.equal(res.statusCode, 500)
    const list = (
      await t.as(admin, { method: 'GET', url: `/api/admin/agreements?clientId=${clientId}` })
    ).json()
    assert.deepEqual(list, { agreements: [] })
  })

  test('list: every version, filtered by partner; an unknown partner is 404', async () => {
    const clientId = await newPartner()
    const [a] = (await createAgreements({ clientId, apis: ['inbox'], validUntil: '2026-06-01' })).json()
      .agreements
    await extend(a.id, '2026-09-01')
    const list = (
      await t.as(admin, { method: 'GET', url: `/api/admin/agreements?clientId=${clientId}` })
    ).json()
    assert.deepEqual(
      list.agreements.map((x: { version: number; status: string }) => [x.version, x.status]),
      [
        [1, 'ended'],
        [2, 'active'],
      ],
    )
    const all = (await t.as(admin, { method: 'GET', url: '/api/admin/agreements' })).json()
    assert.ok(all.agreements.length >= 2)
    const unknown = await t.as(admin, { method: 'GET', url: '/api/admin/agreements?clientId=nobody-at-all' })
    assert.equal(unknown.statusCode, 404)
    assert.equal(unknown.json().error.code, 'partner_not_found')
    const junk = await t.as(admin, { method: 'GET', url: '/api/admin/agreements?clientId=NOPE&x=1' })
    assert.equal(junk.json().error.code, 'validation_failed')
  })
})

describe('coverage over time (DESIGN §6.4, story 8)', () => {
  test('coveredScopes: nothing before valid_from, scopes during, nothing after valid_until or after end', async () => {
    const clientId = await newPartner()
    const res = await createAgreements({
      clientId,
      apis: ['inbox', 'friends'],
      validFrom: '2026-04-01T00:00:00Z',
      validUntil: '2026-06-30',
    })
    const [inbox, friends] = res.json().agreements
    const at = async (when: string) => [...(await coveredScopes(t.db, clientId, new Date(when)))].sort()

    assert.deepEqual(await at('2026-03-31T23:59:59.999Z'), [], 'before valid_from')
    assert.deepEqual(
      await at('2026-04-01T00:00:00Z'),
      ['friends.app', 'friends.suggest', 'recommendations.send'],
      'from valid_from, inclusive',
    )
    assert.deepEqual(await at('2026-06-30T23:59:59.999Z'), [
      'friends.app',
      'friends.suggest',
      'recommendations.send',
    ])
    assert.deepEqual(await at('2026-07-01T00:00:00Z'), [], 'valid_until is exclusive')
    assert.equal(await isScopeCovered(t.db, clientId, 'recommendations.send', new Date('2026-05-01')), true)
    assert.equal(await isScopeCovered(t.db, clientId, 'activity.publish', new Date('2026-05-01')), false)
    assert.equal(await isScopeCovered(t.db, clientId, 'openid', new Date('2026-05-01')), false)
    assert.deepEqual(
      (await activeAgreements(t.db, clientId, new Date('2026-05-01'))).map((a) => a.id),
      [friends.id, inbox.id],
    )

    t.clock.set('2026-05-01T12:00:00Z')
    await end(friends.id, 'no longer needed')
    assert.deepEqual(await at('2026-05-01T12:00:00Z'), ['recommendations.send'], 'after end, at once')
    assert.deepEqual(
      await at('2026-05-01T11:59:59Z'),
      ['recommendations.send'],
      'ended rows never count again',
    )

    await t.as(admin, { method: 'POST', url: `/api/admin/partners/${clientId}/suspend` })
    assert.deepEqual(await at('2026-05-02T00:00:00Z'), [], 'a suspended partner has no scopes')
    assert.equal((await activeAgreements(t.db, clientId, new Date('2026-05-02'))).length, 1)
    await t.as(admin, { method: 'POST', url: `/api/admin/partners/${clientId}/activate` })
    assert.deepEqual(await at('2026-05-02T00:00:00Z'), ['recommendations.send'])
    assert.deepEqual([...(await coveredScopes(t.db, 'no-such-partner', new Date()))], [])
  })
})
