import { accountStore } from '../../lib/accounts/accounts.ts'
import type { User } from '../db.ts'

export { deleteExpiredSessions, startSession } from '../../lib/accounts/accounts.ts'

export const { findUserByUsername, findUserById, signUp } = accountStore<User>()
