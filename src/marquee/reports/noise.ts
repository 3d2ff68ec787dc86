import { randomInt } from 'node:crypto'

/**
 * The discrete Laplace mechanism (MEASUREMENT.md "Privacy"): P(k) ∝ exp(−|k|·ε/Δ) on the integers, so a
 * count stays an integer. Sampled exactly, with integer arithmetic only (Canonne, Kamath & Steinke,
 * "The Discrete Gaussian for Differential Privacy", 2020, algorithms 1 and 2), so no floating-point
 * rounding can leak the true value (Mironov 2012).
 */

/** Uniform integers; production uses node:crypto, tests inject a seeded source. */
export interface RandomSource {
  /** A uniform integer in [0, maxExclusive); maxExclusive ≤ 2^48. */
  int(maxExclusive: number): number
}

/** node:crypto's CSPRNG: the only source a real release may use (never Math.random). */
export const cryptoRandom: RandomSource = { int: (maxExclusive) => randomInt(maxExclusive) }

/**
 * A deterministic source for tests and reproducible simulations (sfc32 seeded through splitmix32).
 * Not for releases: anyone who knows the seed can subtract the noise.
 */
export function seededRandom(seed: number): RandomSource {
  let s = seed >>> 0
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = splitmix()
  const next32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  for (let i = 0; i < 12; i++) next32()
  return {
    int(maxExclusive) {
      if (!Number.isSafeInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > 2 ** 48) {
        throw new RangeError(`maxExclusive out of range: ${maxExclusive}`)
      }
      // Rejection sampling on 32 or 53 bits keeps every value equally likely.
      if (maxExclusive <= 2 ** 32) {
        const limit = 2 ** 32 - (2 ** 32 % maxExclusive)
        for (;;) {
          const x = next32()
          if (x < limit) return x % maxExclusive
        }
      }
      const limit = 2 ** 53 - (2 ** 53 % maxExclusive)
      for (;;) {
        const x = (next32() >>> 11) * 2 ** 32 + next32()
        if (x < limit) return x % maxExclusive
      }
    },
  }
}

/** A positive rational n/d with integer parts. */
export interface Rational {
  n: number
  d: number
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))

/** ε as an exact fraction: ε is configured in decimals (1, 0.5, 0.25…), at most six places. */
export function toRational(value: number): Rational {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`not a positive number: ${value}`)
  const d = 1_000_000
  const n = Math.round(value * d)
  if (n < 1 || Math.abs(n / d - value) > 1e-12) {
    throw new RangeError(`${value} needs more than six decimal places`)
  }
  const g = gcd(n, d)
  return { n: n / g, d: d / g }
}

/** Bernoulli(n/d). */
const bernoulli = (rng: RandomSource, n: number, d: number) => rng.int(d) < n

/** Bernoulli(exp(−n/d)) for n/d ≥ 0, exactly (CKS 2020, algorithm 1). */
function bernoulliExp(rng: RandomSource, n: number, d: number): boolean {
  if (n <= d) {
    let k = 1
    while (bernoulli(rng, n, d * k)) k += 1
    return k % 2 === 1
  }
  for (let i = 0; i < Math.floor(n / d); i++) if (!bernoulliExp(rng, 1, 1)) return false
  return bernoulliExp(rng, n % d, d)
}

/**
 * One draw of the discrete Laplace with scale t/s, i.e. P(k) ∝ exp(−|k|·s/t) (CKS 2020, algorithm 2).
 */
export function sampleDiscreteLaplace(rng: RandomSource, scale: Rational): number {
  const { n: t, d: s } = scale // scale = t/s
  for (;;) {
    const u = rng.int(t)
    if (!bernoulliExp(rng, u, t)) continue
    let v = 0
    while (bernoulliExp(rng, 1, 1)) v += 1
    const x = u + t * v
    const y = Math.floor(x / s)
    const negative = bernoulli(rng, 1, 2)
    if (negative && y === 0) continue
    return negative ? -y : y
  }
}

/** The noise law for a release: scale b = Δ/ε as an exact fraction, and what it implies per cell. */
export interface NoiseLaw {
  sensitivity: number
  epsilon: number
  /** b = Δ/ε. */
  scale: number
  /** The exact scale, for the sampler. */
  exactScale: Rational
  /** Var = 2α/(1−α)² with α = exp(−1/b): the discrete law's own variance (≈ 2b² for large b). */
  variance: number
  /** The published 95% half-width: the smallest integer h with P(|noise| ≤ h) ≥ 0.95. */
  halfWidth95: number
}

/**
 * The noise law for sensitivity Δ (an integer) and ε.
 *
 * MEASUREMENT.md gives the half-width as (Δ/ε)·ln(1/0.05), which is the continuous Laplace's 95%
 * quantile. For the discrete law P(|X| > h) = 2α^(h+1)/(1+α), so the exact 95% half-width is the
 * smallest integer h with 2α^(h+1)/(1+α) ≤ 0.05: h = ⌈b·ln(40/(1+α))⌉ − 1. At b = 60 that is 180, where
 * the continuous figure (179.74) would cover only 94.98% (integers between 179.74 and 180 do not
 * exist). The discrete value is the one published: it is the honest 95% interval for integer noise.
 */
export function noiseLaw(sensitivity: number, epsilon: number): NoiseLaw {
  if (!Number.isSafeInteger(sensitivity) || sensitivity < 1) {
    throw new RangeError(`sensitivity must be a positive integer: ${sensitivity}`)
  }
  const eps = toRational(epsilon)
  // b = Δ/ε = Δ·d/n
  const t = sensitivity * eps.d
  const g = gcd(t, eps.n)
  const exactScale = { n: t / g, d: eps.n / g }
  const scale = sensitivity / epsilon
  return {
    sensitivity,
    epsilon,
    scale,
    exactScale,
    variance: discreteLaplaceVariance(scale),
    halfWidth95: discreteLaplaceQuantile(scale, 0.95),
  }
}

/** The variance of the discrete Laplace with scale b: 2α/(1−α)², α = exp(−1/b). */
export function discreteLaplaceVariance(scale: number): number {
  const alpha = Math.exp(-1 / scale)
  return (2 * alpha) / (1 - alpha) ** 2
}

/** The smallest integer h ≥ 0 with P(|X| ≤ h) ≥ level for the discrete Laplace with scale b. */
export function discreteLaplaceQuantile(scale: number, level: number): number {
  const alpha = Math.exp(-1 / scale)
  const tail = 1 - level
  // P(|X| > h) = 2α^(h+1)/(1+α) ≤ tail  ⇔  h + 1 ≥ ln(tail·(1+α)/2) / ln α
  let h = Math.max(0, Math.ceil(Math.log((tail * (1 + alpha)) / 2) / Math.log(alpha)) - 1)
  // Guard the boundary against floating-point error in the logarithms.
  const exceeds = (k: number) => (2 * alpha ** (k + 1)) / (1 + alpha)
  while (h > 0 && exceeds(h - 1) <= tail) h -= 1
  while (exceeds(h) > tail) h += 1
  return h
}

/** The continuous Laplace figure MEASUREMENT.md quotes, (Δ/ε)·ln(1/0.05), for comparison. */
export const continuousHalfWidth95 = (sensitivity: number, epsilon: number) =>
  (sensitivity / epsilon) * Math.log(1 / 0.05)

/** Adds independent discrete Laplace noise to each count. */
export function addNoise(rng: RandomSource, law: NoiseLaw, value: number): number {
  return value + sampleDiscreteLaplace(rng, law.exactScale)
}
