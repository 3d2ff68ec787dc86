import type { Db, User } from '../db.ts'

export async function findUserByUsername(db: Db, username: string): Promise<User | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
    .executeTakeFirst()
}

export async function findUserById(db: Db, id: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertUser(
  db: Db,
  user: { id: string; username: string; displayName: string; passwordHash: string; isAdmin?: boolean },
): Promise<User> {
  return db
    .insertInto('users')
    .values({
      id: user.id,
      username: user.username,
      display_name: user.displayName,
      password_hash: user.passwordHash,
      is_admin: user.isAdmin ?? false,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function updateUserSettings(
  db: Db,
  userId: string,
  settings: {
    displayName?: string | undefined
    allowSuggestions?: boolean | undefined
    partnerActivityEnabled?: boolean | undefined
  },
): Promise<User> {
  if (
    settings.displayName === undefined &&
    settings.allowSuggestions === undefined &&
    settings.partnerActivityEnabled === undefined
  ) {
    return db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow()
  }
  return db
    .updateTable('users')
    .set({
      ...(settings.displayName !== undefined ? { display_name: settings.displayName } : {}),
      ...(settings.allowSuggestions !== undefined ? { allow_suggestions: settings.allowSuggestions } : {}),
      ...(settings.partnerActivityEnabled !== undefined
        ? { partner_activity_enabled: settings.partnerActivityEnabled }
        : {}),
    })
    .where('id', '=', userId)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function insertSession(
  db: Db,
  session: { idHash: string; userId: string; now: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id_hash: session.idHash,
      user_id: session.userId,
      created_at: session.now,
      last_seen_at: session.now,
      expires_at: session.expiresAt,
    })
    .execute()
}

export async function findSessionUser(db: Db, idHash: string, now: Date) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'users.id as userId',
      'users.username',
      'users.display_name as displayName',
      'users.is_admin as isAdmin',
      'sessions.last_seen_at as lastSeenAt',
    ])
    .where('sessions.id_hash', '=', idHash)
    .where('sessions.expires_at', '>', now)
    .executeTakeFirst()
}

export async function touchSession(db: Db, idHash: string, now: Date, expiresAt: Date): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: now, expires_at: expiresAt })
    .where('id_hash', '=', idHash)
    .execute()
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute()
}

export async function deleteExpiredSessions(db: Db, now: Date): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function setUserAdmin(db: Db, userId: string): Promise<void> {
  await db.updateTable('users').set({ is_admin: true }).where('id', '=', userId).execute()
}
