import { z } from 'zod'
import { DisplayName, Password, Username } from '../../lib/account-fields.ts'

export const SignUpBody = z
  .object({ username: Username, displayName: DisplayName, password: Password })
  .strict()
export const LoginBody = z.object({ username: z.string().max(100), password: z.string().max(200) }).strict()
export const SettingsBody = z
  .object({ displayName: DisplayName.optional(), shareHistoryWithFriends: z.boolean().optional() })
  .strict()

export const MeSchema = z.object({
  id: z.uuid(),
  username: z.string(),
  displayName: z.string(),
  isAdmin: z.boolean(),
  shareHistoryWithFriends: z.boolean(),
  createdAt: z.string(),
})
