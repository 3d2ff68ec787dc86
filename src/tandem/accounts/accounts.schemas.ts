import { z } from 'zod'
import { DisplayName, Password, Username } from '../../lib/account-fields.ts'

export const SignUpBody = z
  .object({ username: Username, displayName: DisplayName, password: Password })
  .strict()
export const LoginBody = z.object({ username: z.string().max(100), password: z.string().max(200) }).strict()
export const SettingsBody = z
  .object({
    displayName: DisplayName.optional(),
    allowSuggestions: z.boolean().optional(),
    partnerActivityEnabled: z.boolean().optional(),
  })
  .strict()

export const UserSchema = z.object({ id: z.uuid(), username: z.string(), displayName: z.string() })
export const MeSchema = UserSchema.extend({
  isAdmin: z.boolean(),
  allowSuggestions: z.boolean(),
  partnerActivityEnabled: z.boolean(),
  createdAt: z.string(),
})

export { DisplayName, Password, Username }
