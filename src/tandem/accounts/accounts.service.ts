import type { Clock } from '../../lib/clock.ts'
import { AppError } from '../../lib/errors.ts'
import { newId, randomToken, sha256 } from '../../lib/ids.ts'
import { hashPassword, verifyPassword } from '../../lib/passwords.ts'
import type { Db, User } from '../db.ts'
import {
  deleteSession,
  findSessionUser,
  findUserByUsername,
  insertSession,
  insertUser,
  touchSession,
} from './accounts.repository.ts'

export interface Actor {
  userId: string
  username: string
  displayName: string
  isAdmin: boolean
}

export interface SessionSettings {
  clock: Clock
  ttlDays: number
}

export interface SignUp {
  username: string
  displayName: string
  password: string
  isAdmin?: boolean
}

const DAY_MS = 86_400_000
// Sliding expiry is refreshed at most this often, so reads do not each write.
const TOUCH_INTERVAL_MS = 5 * 60_000

export async function signUp(db: Db, input: SignUp): Promise<User> {
  if (await findUserByUsername(db, input.username)) {
    throw new AppError(409, 'username_taken', 'that username is taken')
  }
  const passwordHash = await hashPassword(input.password)
  try {
    return await insertUser(db, { id: newId(), ...input, passwordHash })
  } catch (error) {
    // Two sign-ups for one name at once: the unique index decides.
    if ((error as { code?: string }).code === '23505') {
      throw new AppError(409, 'username_taken', 'that username is taken')
    }
    throw error
  }
}

/** Checks credentials with the same cost and the same answer whether the username or the password is wrong. */
export async function authenticate(db: Db, username: string, password: string): Promise<User> {
  const user = await findUserByUsername(db, username)
  const ok = await verifyPassword(user?.password_hash, password)
  if (!user || !ok) throw new AppError(401, 'invalid_credentials', 'username or password is incorrect')
  return user
}

/** Creates a fresh session (a new id at every login: no fixation); returns the cookie value. */
export async function startSession(db: Db, userId: string, settings: SessionSettings): Promise<string> {
  const token = randomToken(32)
  const now = settings.clock.now()
  await insertSession(db, {
    idHash: sha256(token),
    userId,
    now,
    expiresAt: new Date(now.getTime() + settings.ttlDays * DAY_MS),
  })
  return token
}

export async function endSession(db: Db, token: string): Promise<void> {
  await deleteSession(db, sha256(token))
}

export async function resolveSession(
  db: Db,
  token: string,
  settings: SessionSettings,
): Promise<Actor | undefined> {
  const idHash = sha256(token)
  const now = settings.clock.now()
  const row = await findSessionUser(db, idHash, now)
  if (!row) return undefined
  if (now.getTime() - row.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
    await touchSession(db, idHash, now, new Date(now.getTime() + settings.ttlDays * DAY_MS))
  }
  return { userId: row.userId, username: row.username, displayName: row.displayName, isAdmin: row.isAdmin }
}
