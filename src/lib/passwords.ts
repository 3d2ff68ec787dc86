import { hash, verify } from '@node-rs/argon2'

// Algorithm.Argon2id; the package exports it as a const enum, which type stripping cannot read.
const ARGON2ID = 2

// OWASP's argon2id profile: 19 MiB, 2 passes, 1 lane.
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 }

export const hashPassword = (password: string): Promise<string> => hash(password, OPTIONS)

/** A hash of no real password, verified when the username is unknown so both failures cost the same. */
let decoyHash: Promise<string> | undefined

export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  if (passwordHash === undefined) {
    decoyHash ??= hashPassword('decoy password that matches nothing')
    await verify(await decoyHash, password).catch(() => false)
    return false
  }
  return verify(passwordHash, password).catch(() => false)
}
