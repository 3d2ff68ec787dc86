import { createHash } from 'node:crypto'
import { VARIANT_PATTERN } from '../../lib/measurement-dimensions.ts'

export interface Arm {
  /** The variant name recorded with every send: `^[a-z0-9_-]{1,40}$`. */
  name: string
  /** Relative weight; arms split the population in proportion to their weights. */
  weight: number
}

export interface Experiment {
  key: string
  arms: readonly Arm[]
}

/** The share dialog's A/B test: the classic dialog against the one-tap quick dialog, half and half. */
export const SHARE_DIALOG: Experiment = {
  key: 'share_dialog',
  arms: [
    { name: 'classic', weight: 50 },
    { name: 'quick', weight: 50 },
  ],
}

/** The live experiments; a sender is in exactly one arm of each. */
export const EXPERIMENTS: readonly Experiment[] = [SHARE_DIALOG]

/**
 * Where a subject falls in [0, 1) for an experiment: the first 48 bits of SHA-256(key ':' subject id).
 * Independent across experiments (the key is hashed in), the same on every call and every server.
 */
export function bucketOf(experimentKey: string, subjectId: string): number {
  const digest = createHash('sha256').update(`${experimentKey}:${subjectId}`).digest()
  return digest.readUIntBE(0, 6) / 2 ** 48
}

/** The arm a subject is in: arms take consecutive slices of [0, 1) in proportion to their weights. */
export function assignVariant(experiment: Experiment, subjectId: string): string {
  const total = experiment.arms.reduce((sum, arm) => sum + arm.weight, 0)
  if (!(total > 0) || experiment.arms.some((a) => !(a.weight >= 0) || !VARIANT_PATTERN.test(a.name))) {
    throw new Error(`experiment ${experiment.key} is misconfigured`)
  }
  const point = bucketOf(experiment.key, subjectId) * total
  let upTo = 0
  for (const arm of experiment.arms) {
    upTo += arm.weight
    if (point < upTo) return arm.name
  }
  // Floating-point rounding can leave the point at the very top: it belongs to the last weighted arm.
  return [...experiment.arms].reverse().find((a) => a.weight > 0)?.name as string
}

/** Every live experiment's arm for this user (the server decides; clients never choose their arm). */
export function assignmentsFor(userId: string): Record<string, string> {
  return Object.fromEntries(EXPERIMENTS.map((e) => [e.key, assignVariant(e, userId)]))
}

/** The sender's share_dialog arm, recorded with each send as its implementation variant. */
export const shareDialogVariant = (userId: string): string => assignVariant(SHARE_DIALOG, userId)
