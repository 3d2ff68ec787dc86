import { z } from 'zod'
import { hasControlCharacters } from './text.ts'

/** The account fields both products ask for at sign-up, with the same rules. */
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
