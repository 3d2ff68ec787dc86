import { z } from 'zod'
import { DisplayName } from '../../lib/account-fields.ts'

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
