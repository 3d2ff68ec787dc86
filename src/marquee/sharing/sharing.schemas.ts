import { z } from 'zod'
import { INTERFACES, SURFACES } from '../../lib/measurement-dimensions.ts'
import { hasControlCharacters } from '../../lib/text.ts'

/** App-scoped ids and suggestion handles are Tandem's opaque strings: base64url-ish, bounded. */
const TandemRef = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'an opaque id from Tandem')

export const ShareRecipient = z.union([
  z.object({ type: z.literal('tandem'), id: TandemRef }).strict(),
  z.object({ type: z.literal('tandem'), handle: TandemRef }).strict(),
  z.object({ type: z.literal('external'), channel: z.enum(['copy_link', 'email']) }).strict(),
])
export type ShareRecipient = z.output<typeof ShareRecipient>

export const ShareBody = z
  .object({
    titleId: z.string().min(1).max(200),
    interface: z.enum(INTERFACES),
    surface: z.enum(SURFACES),
    note: z
      .string()
      .max(500)
      .refine((s) => !hasControlCharacters(s, true), 'no control characters')
      .optional(),
    recipients: z
      .array(ShareRecipient)
      .min(1)
      .max(20)
      .refine((list) => {
        const refs = list.flatMap((r) => ('id' in r ? [r.id] : 'handle' in r ? [r.handle] : []))
        return new Set(refs).size === refs.length
      }, 'Tandem recipients must be distinct'),
  })
  .strict()
export type ShareInput = z.output<typeof ShareBody>

export const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/

export const ShareStatus = z.enum(['sent', 'not_delivered', 'failed', 'created'])
export type ShareStatus = z.output<typeof ShareStatus>

export const PresentedShare = z.object({
  id: z.uuid(),
  recipient: z.string(),
  recipientType: z.enum(['tandem', 'external']),
  status: ShareStatus,
  url: z.string().optional(),
  error: z.string().optional(),
})
export type PresentedShare = z.output<typeof PresentedShare>

export const SharesResponse = z.object({ shares: z.array(PresentedShare) })
