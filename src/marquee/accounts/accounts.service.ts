import { sql } from 'kysely'
import type { Clock } from '../../lib/clock.ts'
import { AppError } from '../../lib/errors.ts'
import { newId, randomToken, sha256 } from '../../lib/ids.ts'
import { hashPassword, verifyPassword } from '../../lib/passwords.ts'
import type { Db, User } from '../db.ts'

export interface Actor {
  userId: string
  username: string
  displayName: string
  isAdmin: boolean
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

/** By username, case-insensitively (users_username_key is on lower(username)). */
export const findUserByUsername = (db: Db, username: string): Promise<User | undefined> =>
  db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst()

export const findUserById = (db: Db, id: string): Promise<User | undefined> =>
  db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()

export async function signUp(db: Db, input: SignUp): Promise<User> {
  if (await findUserByUsername(db, input.username)) {
    throw new AppError(409, 'username_taken', 'that username is taken')
  }
  const passwordHash = await hashPassword(input.password)
  try {
    return await db
      .insertInto('users')
      .values({
        id: newId(),
        username: input.username,
        display_name: input.displayName,
        password_hash: passwordHash,
        is_admin: input.isAdmin ?? false,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
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

export interface SessionSettings {
  clock: Clock
  ttlDays: number
}

/** Creates a fresh session (a new id at every login: no fixation); returns the cookie value. */
export async function startSession(db: Db, userId: string, settings: SessionSettings): Promise<string> {
  const token = randomToken(32)
  const now = settings.clock.now()
  await db
    .insertInto('sessions')
    .values({
      id_hash: sha256(token),
      user_id: userId,
      created_at: now,
      last_seen_at: now,
      expires_at: new Date(now.getTime() + settings.ttlDays * DAY_MS),
    })
    .execute()
  return token
}

export async function endSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', sha256(token)).execute()
}

export async function resolveSession(
  db: Db,
  token: string,
  settings: SessionSettings,
): Promise<Actor | undefined> {
  const idHash = sha256(token)
  const now = settings.clock.now()
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['u.id', 'u.username', 'u.display_name', 'u.is_admin', 's.last_seen_at'])
    .where('s.id_hash', '=', idHash)
    .where('s.expires_at', '>', now)
    .executeTakeFirst()
  if (!row) return undefined
  if (now.getTime() - row.last_seen_at.getTime() > TOUCH_INTERVAL_MS) {
    await db
      .updateTable('sessions')
      .set({ last_seen_at: now, expires_at: new Date(now.getTime() + settings.ttlDays * DAY_MS) })
      .where('id_hash', '=', idHash)
      .execute()
  }
  return { userId: row.id, username: row.username, displayName: row.display_name, isAdmin: row.is_admin }
}
