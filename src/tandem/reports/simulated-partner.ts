/**
 * A simulated honest partner for tests: a seeded uniform source (mulberry32) and discrete Laplace noise
 * drawn from it as the difference of two geometric variables. Not a privacy mechanism: Tandem never
 * adds noise; this only stands in for what a partner's report does.
 */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** One discrete Laplace draw with scale b: P(k) ∝ exp(−|k|/b). */
export function discreteLaplace(uniform: () => number, scale: number): number {
  const geometric = () => Math.floor(Math.log(1 - uniform()) / (-1 / scale))
  return geometric() - geometric()
}
