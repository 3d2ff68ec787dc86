import { accountStore } from '../../lib/accounts/accounts.ts'
import type { User } from '../db.ts'

export {
  type Actor,
  deleteExpiredSessions,
  endSession,
  resolveSession,
  type SessionSettings,
  type SignUp,
  startSession,
} from '../../lib/accounts/accounts.ts'

export const { findUserByUsername, findUserById, signUp, authenticate } = accountStore<User>()
