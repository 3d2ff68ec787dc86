import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, test } from 'node:test'
import { MemoryReplayCache, signWebhook, verifyWebhook } from '../../lib/webhook-signature.ts'

const secret = 'whsec_test-secret'
const body = '{"id":"e1","type":"grant.revoked","createdAt":"2026-01-01T00:00:00.000Z","data":{}}'
const t = 1_767_225_600

describe('webhook signatures (SECURITY row 44)', () => {
  test('the header is t=<seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>">', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')
    assert.equal(signWebhook(secret, body, t), `t=${t},v1=${expected}`)
    assert.equal(signWebhook(secret, Buffer.from(body), t), `t=${t},v1=${expected}`)
    assert.throws(() => signWebhook(secret, body, 1.5))
  })

  test('a fresh, correctly signed body verifies; strings and bytes alike', () => {
    const header = signWebhook(secret, body, t)
    assert.deepEqual(verifyWebhook(secret, header, body, t + 10), { ok: true, timestamp: t })
    assert.deepEqual(verifyWebhook(secret, header, Buffer.from(body), t), { ok: true, timestamp: t })
  })

  test('a replay older than five minutes is stale, as is one from the future', () => {
    const header = signWebhook(secret, body, t)
    assert.deepEqual(verifyWebhook(secret, header, body, t + 300), { ok: true, timestamp: t })
    assert.deepEqual(verifyWebhook(secret, header, body, t + 301), { ok: false, reason: 'stale' })
    assert.deepEqual(verifyWebhook(secret, header, body, t - 301), { ok: false, reason: 'stale' })
    assert.deepEqual(verifyWebhook(secret, header, body, t + 30, 20), { ok: false, reason: 'stale' })
  })

  test('a wrong secret, a changed body or a moved timestamp is a bad signature', () => {
    const header = signWebhook(secret, body, t)
    assert.deepEqual(verifyWebhook('whsec_other', header, body, t), { ok: false, reason: 'bad_signature' })
    assert.deepEqual(verifyWebhook(secret, header, body.replace('e1', 'e2'), t), {
      ok: false,
      reason: 'bad_signature',
    })
    const moved = header.replace(`t=${t}`, `t=${t + 1}`)
    assert.deepEqual(verifyWebhook(secret, moved, body, t), { ok: false, reason: 'bad_signature' })
    assert.deepEqual(verifyWebhook(secret, signWebhook('whsec_other', body, t), body, t), {
      ok: false,
      reason: 'bad_signature',
    })
    assert.deepEqual(verifyWebhook('', header, body, t), { ok: false, reason: 'bad_signature' })
  })

  test('rotation: several v1 values in the header, several secrets at the receiver', () => {
    const old = signWebhook('whsec_old', body, t)
    const fresh = signWebhook('whsec_new', body, t)
    const both = `${fresh},v1=${old.split('v1=')[1]}`
    assert.deepEqual(verifyWebhook('whsec_old', both, body, t), { ok: true, timestamp: t })
    assert.deepEqual(verifyWebhook('whsec_new', both, body, t), { ok: true, timestamp: t })
    assert.deepEqual(verifyWebhook(['whsec_new', 'whsec_old'], old, body, t), { ok: true, timestamp: t })
    assert.deepEqual(verifyWebhook(['whsec_a', 'whsec_b'], old, body, t), {
      ok: false,
      reason: 'bad_signature',
    })
  })

  test('malformed headers', () => {
    const sig = signWebhook(secret, body, t).split('v1=')[1]
    for (const header of [
      undefined,
      null,
      '',
      'garbage',
      `v1=${sig}`,
      `t=${t}`,
      `t=${t},v1=zz`,
      `t=${t},v1=${sig?.slice(2)}`,
      `t=abc,v1=${sig}`,
      `t=-1,v1=${sig}`,
      `t=${t},t=${t},v1=${sig}`,
      `t=${t},v1=${sig},${'x'.repeat(5000)}`,
    ]) {
      assert.deepEqual(
        verifyWebhook(secret, header, body, t),
        { ok: false, reason: 'malformed' },
        String(header),
      )
    }
    assert.deepEqual(verifyWebhook(secret, ` t=${t} , v0=abc, v1=${sig} `, body, t), {
      ok: true,
      timestamp: t,
    })
  })

  test('receivers drop a repeated event id within the window (replay cache)', () => {
    const cache = new MemoryReplayCache()
    assert.equal(cache.remember('e1', t, t), true)
    assert.equal(cache.remember('e1', t, t + 5), false)
    assert.equal(cache.remember('e2', t, t + 5), true)
    // Past the window the timestamp check rejects the event, so the id may be forgotten.
    assert.equal(cache.remember('e3', t + 700, t + 700), true)
    assert.equal(cache.remember('e1', t + 700, t + 700), true)
  })
})
