import { z } from 'zod'
import { DisplayName } from '../../lib/account-fields.ts'

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
