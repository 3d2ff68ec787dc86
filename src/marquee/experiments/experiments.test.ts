import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { makeMarquee, type TestMarquee } from '../testing.ts'
import {
  assignVariant,
  bucketOf,
  type Experiment,
  SHARE_DIALOG,
  shareDialogVariant,
} from './experiments.service.ts'

const POPULATION = 100_000

function split(experiment: Experiment): Map<string, number> {
  const counts = new Map<string, number>()
  for (let i = 0; i < POPULATION; i++) {
    const arm = assignVariant(experiment, randomUUID())
    counts.set(arm, (counts.get(arm) ?? 0) + 1)
  }
  return counts
}

function assertWithinOnePercent(experiment: Experiment, counts: Map<string, number>): void {
  const total = experiment.arms.reduce((n, a) => n + a.weight, 0)
  assert.deepEqual([...counts.keys()].sort(), experiment.arms.map((a) => a.name).sort())
  for (const arm of experiment.arms) {
    const share = (counts.get(arm.name) ?? 0) / POPULATION
    const expected = arm.weight / total
    assert.ok(Math.abs(share - expected) < 0.01, `${arm.name}: ${share} vs ${expected}`)
  }
}

describe('experiments: deterministic assignment', () => {
  test('a sender gets the same arm every time, and buckets are in [0, 1)', () => {
    for (let i = 0; i < 1000; i++) {
      const id = randomUUID()
      const first = shareDialogVariant(id)
      assert.equal(shareDialogVariant(id), first)
      assert.equal(assignVariant({ ...SHARE_DIALOG, arms: [...SHARE_DIALOG.arms] }, id), first)
      const b = bucketOf('share_dialog', id)
      assert.ok(b >= 0 && b < 1)
    }
    // Pinned: the hash is part of the contract (a change would reshuffle every running experiment).
    assert.equal(bucketOf('share_dialog', 'sender-1'), 0.19201150478726348)
    assert.deepEqual([shareDialogVariant('sender-1'), shareDialogVariant('sender-2')], ['classic', 'quick'])
    assert.notEqual(bucketOf('share_dialog', 'sender-1'), bucketOf('other_test', 'sender-1'))
  })

  test('100,000 synthetic senders split 50/50 within 1%', () => {
    assertWithinOnePercent(SHARE_DIALOG, split(SHARE_DIALOG))
  })

  test('a 70/30 configuration splits 70/30 within 1%', () => {
    const experiment: Experiment = {
      key: 'share_dialog_70_30',
      arms: [
        { name: 'classic', weight: 70 },
        { name: 'quick', weight: 30 },
      ],
    }
    assertWithinOnePercent(experiment, split(experiment))
  })

  test('an arm of weight zero gets nobody; a misconfigured experiment throws', () => {
    const experiment: Experiment = {
      key: 'held_back',
      arms: [
        { name: 'on', weight: 1 },
        { name: 'off', weight: 0 },
      ],
    }
    for (let i = 0; i < 1000; i++) assert.equal(assignVariant(experiment, randomUUID()), 'on')
    assert.throws(() => assignVariant({ key: 'x', arms: [] }, 'a'))
    assert.throws(() => assignVariant({ key: 'x', arms: [{ name: 'Bad Name', weight: 1 }] }, 'a'))
  })
})

describe('GET /api/experiments', () => {
  let m: TestMarquee
  before(async () => {
    m = await makeMarquee()
  })
  after(async () => {
    await m.close()
  })

  test("answers the viewer's share_dialog arm, stable across calls", async () => {
    const user = await m.makeUser()
    const res = await m.as(user, { method: 'GET', url: '/api/experiments' })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { assignments: { share_dialog: shareDialogVariant(user.id) } })
    const again = await m.as(user, { method: 'GET', url: '/api/experiments' })
    assert.deepEqual(again.json(), res.json())
  })

  test('needs a session', async () => {
    const res = await m.app.inject({ method: 'GET', url: '/api/experiments' })
    assert.equal(res.statusCode, 401)
    assert.deepEqual(res.json(), { error: { code: 'unauthenticated', message: 'log in first' } })
  })
})
