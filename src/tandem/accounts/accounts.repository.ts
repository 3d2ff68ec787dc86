import { accountStore } from '../../lib/accounts/accounts.ts'
import type { Db, User } from '../db.ts'

export { deleteExpiredSessions } from '../../lib/accounts/accounts.ts'
export const { findUserByUsername, findUserById } = accountStore<User>()

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

export async function setUserAdmin(db: Db, userId: string): Promise<void> {
  await db.updateTable('users').set({ is_admin: true }).where('id', '=', userId).execute()
}
