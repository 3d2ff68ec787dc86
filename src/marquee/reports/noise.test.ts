import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  continuousHalfWidth95,
  cryptoRandom,
  discreteLaplaceQuantile,
  noiseLaw,
  sampleDiscreteLaplace,
  seededRandom,
  toRational,
} from './noise.ts'

describe('discrete Laplace noise', () => {
  test('the law: scale Δ/ε as an exact fraction, variance 2α/(1−α)², the discrete 95% half-width', () => {
    const law = noiseLaw(60, 1)
    assert.deepEqual(law.exactScale, { n: 60, d: 1 })
    assert.equal(law.scale, 60)
    const alpha = Math.exp(-1 / 60)
    assert.ok(Math.abs(law.variance - (2 * alpha) / (1 - alpha) ** 2) < 1e-9)
    // The continuous figure (179.74) covers only 94.98% of integer noise; 180 is the smallest that covers 95%.
    assert.equal(law.halfWidth95, 180)
    assert.ok(continuousHalfWidth95(60, 1) < 180)
    const tail = (h: number) => (2 * alpha ** (h + 1)) / (1 + alpha)
    assert.ok(tail(180) <= 0.05 && tail(179) > 0.05)
    assert.deepEqual(noiseLaw(3, 0.3).exactScale, { n: 10, d: 1 })
    assert.deepEqual(noiseLaw(20, 0.75).exactScale, { n: 80, d: 3 })
  })

  test('the quantile is exact at every scale: P(|X| ≤ h) ≥ level > P(|X| ≤ h − 1)', () => {
    for (const b of [0.5, 1, 2.5, 7, 20, 60, 180, 1000]) {
      const alpha = Math.exp(-1 / b)
      const within = (h: number) => 1 - (2 * alpha ** (h + 1)) / (1 + alpha)
      const h = discreteLaplaceQuantile(b, 0.95)
      assert.ok(within(h) >= 0.95, `b=${b}`)
      if (h > 0) assert.ok(within(h - 1) < 0.95, `b=${b}`)
    }
  })

  test('samples follow the law: mean 0, the law’s variance, 95% inside the half-width, P(1)/P(0) = α', () => {
    const rng = seededRandom(42)
    for (const [sensitivity, epsilon] of [
      [60, 1],
      [3, 0.5],
    ] as const) {
      const law = noiseLaw(sensitivity, epsilon)
      const n = 60_000
      let sum = 0
      let squares = 0
      let inside = 0
      const counts = new Map<number, number>()
      for (let i = 0; i < n; i++) {
        const x = sampleDiscreteLaplace(rng, law.exactScale)
        assert.ok(Number.isInteger(x))
        sum += x
        squares += x * x
        if (Math.abs(x) <= law.halfWidth95) inside += 1
        counts.set(x, (counts.get(x) ?? 0) + 1)
      }
      const sd = Math.sqrt(law.variance)
      assert.ok(Math.abs(sum / n) < (4 * sd) / Math.sqrt(n), 'mean')
      assert.ok(Math.abs(squares / n / law.variance - 1) < 0.05, 'variance')
      assert.ok(Math.abs(inside / n - 0.95) < 0.006, `coverage ${inside / n}`)
      if (law.scale <= 10) {
        const ratio = (counts.get(1) ?? 0) / (counts.get(0) ?? 1)
        assert.ok(Math.abs(ratio - Math.exp(-1 / law.scale)) < 0.03, `ratio ${ratio}`)
      }
    }
  })

  test('a seeded source repeats itself; the crypto source does not', () => {
    const law = noiseLaw(20, 1)
    const draw = (rng = seededRandom(9)) =>
      Array.from({ length: 50 }, () => sampleDiscreteLaplace(rng, law.exactScale))
    assert.deepEqual(draw(), draw())
    assert.notDeepEqual(draw(cryptoRandom), draw(cryptoRandom))
  })

  test('ε is taken as an exact decimal', () => {
    assert.deepEqual(toRational(0.25), { n: 1, d: 4 })
    assert.throws(() => toRational(0), RangeError)
    assert.throws(() => toRational(1 / 3), RangeError)
  })
})
