import { type ColumnType, type Generated, type Kysely, type Selectable, sql } from 'kysely'
import type { Clock } from '../clock.ts'
import { AppError } from '../errors.ts'
import { newId, randomToken, sha256 } from '../ids.ts'
import { hashPassword, verifyPassword } from '../passwords.ts'

type Timestamp = ColumnType<Date, Date | string, Date | string>

/**
 * The account columns Tandem and Marquee share: each server's `users` table has these and its own
 * settings besides, and the same `sessions` table. Accounts, passwords and sessions work the same in
 * both, so they are written once, here.
 */
export interface AccountTables {
  users: {
    id: string
    username: string
    display_name: string
    password_hash: string
    is_admin: Generated<boolean>
    created_at: ColumnType<Date, Date | string | undefined, Date | string>
  }
  sessions: {
    id_hash: string
    user_id: string
    created_at: Timestamp
    expires_at: Timestamp
    last_seen_at: Timestamp
  }
}

export type AccountUser = Selectable<AccountTables['users']>

/** A server's database seen as its account tables only (Kysely's types cannot narrow a database to a part). */
const accountsOf = <DB extends AccountTables>(db: Kysely<DB>) => db as unknown as Kysely<AccountTables>

/** Who a session belongs to. */
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

/**
 * Account operations over a server's own database. `U` is that server's full user row: `selectAll`
 * returns every column of `users`, the server's own settings included, though the shared table type
 * names only the common ones.
 */
export function accountStore<U extends AccountUser>() {
  const one = (row: AccountUser | undefined) => row as U | undefined

  /** By username, case-insensitively (users_username_key is on lower(username)). */
  const findUserByUsername = async <DB extends AccountTables>(db: Kysely<DB>, username: string) =>
    one(
      await accountsOf(db)
        .selectFrom('users')
        .selectAll()
        .where(sql<string>`lower(username)`, '=', username.toLowerCase())
        .executeTakeFirst(),
    )

  const findUserById = async <DB extends AccountTables>(db: Kysely<DB>, id: string) =>
    one(await accountsOf(db).selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst())

  async function signUp<DB extends AccountTables>(db: Kysely<DB>, input: SignUp): Promise<U> {
    if (await findUserByUsername(db, input.username)) {
      throw new AppError(409, 'username_taken', 'that username is taken')
    }
    const passwordHash = await hashPassword(input.password)
    try {
      const row = await accountsOf(db)
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
      return row as U
    } catch (error) {
      // Two sign-ups for one name at once: the unique index decides.
      if ((error as { code?: string }).code === '23505') {
        throw new AppError(409, 'username_taken', 'that username is taken')
      }
      throw error
    }
  }

  /** Checks credentials with the same cost and the same answer whether the username or the password is wrong. */
  async function authenticate<DB extends AccountTables>(
    db: Kysely<DB>,
    username: string,
    password: string,
  ): Promise<U> {
    const user = await findUserByUsername(db, username)
    const ok = await verifyPassword(user?.password_hash, password)
    if (!user || !ok) throw new AppError(401, 'invalid_credentials', 'username or password is incorrect')
    return user
  }

  return { findUserByUsername, findUserById, signUp, authenticate }
}

/** Creates a fresh session (a new id at every login: no fixation); returns the cookie value. */
export async function startSession<DB extends AccountTables>(
  db: Kysely<DB>,
  userId: string,
  settings: SessionSettings,
): Promise<string> {
  const token = randomToken(32)
  const now = settings.clock.now()
  await accountsOf(db)
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

export async function endSession<DB extends AccountTables>(db: Kysely<DB>, token: string): Promise<void> {
  await accountsOf(db).deleteFrom('sessions').where('id_hash', '=', sha256(token)).execute()
}

/** The session's user, its expiry slid forward at most every few minutes; undefined when unknown or expired. */
export async function resolveSession<DB extends AccountTables>(
  db: Kysely<DB>,
  token: string,
  settings: SessionSettings,
): Promise<Actor | undefined> {
  const idHash = sha256(token)
  const now = settings.clock.now()
  const row = await accountsOf(db)
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['u.id', 'u.username', 'u.display_name', 'u.is_admin', 's.last_seen_at'])
    .where('s.id_hash', '=', idHash)
    .where('s.expires_at', '>', now)
    .executeTakeFirst()
  if (!row) return undefined
  if (now.getTime() - row.last_seen_at.getTime() > TOUCH_INTERVAL_MS) {
    await accountsOf(db)
      .updateTable('sessions')
      .set({ last_seen_at: now, expires_at: new Date(now.getTime() + settings.ttlDays * DAY_MS) })
      .where('id_hash', '=', idHash)
      .execute()
  }
  return { userId: row.id, username: row.username, displayName: row.display_name, isAdmin: row.is_admin }
}

export async function deleteExpiredSessions<DB extends AccountTables>(
  db: Kysely<DB>,
  now: Date,
): Promise<number> {
  const result = await accountsOf(db).deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}
