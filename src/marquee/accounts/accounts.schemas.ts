import { z } from 'zod'
import { hasControlCharacters } from '../../lib/text.ts'

export const Username = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_]{3,30}$/, '3 to 30 letters, digits or underscores')
export const DisplayName = z
  .string()
  .trim()
  .min(1)
  .max(60)
  .refine((s) => !hasControlCharacters(s), 'no control characters')
export const Password = z.string().min(8, 'at least 8 characters').max(200)

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
