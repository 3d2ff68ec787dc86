import { accountStore } from '../../lib/accounts/accounts.ts'
import type { User } from '../db.ts'

export { type Actor, startSession } from '../../lib/accounts/accounts.ts'

export const { signUp, authenticate } = accountStore<User>()
