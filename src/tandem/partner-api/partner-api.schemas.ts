import { z } from 'zod'
import { INTERFACES, SURFACES, VARIANT_PATTERN } from '../../lib/measurement-dimensions.ts'
import { hasControlCharacters } from '../../lib/text.ts'
import { ClientId } from '../ledger/ledger.schemas.ts'
import { HttpUrl } from '../messaging/messaging.schemas.ts'

const noControl = (s: string) => !hasControlCharacters(s)

/** App-scoped ids are 43 base64url characters (HMAC-SHA256); handles carry a prefix and are longer. */
export const APP_SCOPED_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/
export const HANDLE_PATTERN = /^h_[A-Za-z0-9_-]{43}$/

export const Recipient = z
  .string()
  .refine((s) => APP_SCOPED_ID_PATTERN.test(s) || HANDLE_PATTERN.test(s), 'an app-scoped id or a handle')

export const RecommendationBody = z
  .object({
    recipients: z
      .array(Recipient)
      .min(1)
      .max(20)
      .refine((list) => new Set(list).size === list.length, 'recipients must be distinct'),
    title: z
      .object({
        id: z.string().min(1).max(200).refine(noControl, 'no control characters'),
        name: z.string().trim().min(1).max(200).refine(noControl, 'no control characters'),
        imageUrl: HttpUrl.nullable().optional(),
        url: HttpUrl,
      })
      .strict(),
    note: z
      .string()
      .max(500)
      .refine((s) => !hasControlCharacters(s, true), 'no control characters')
      .optional(),
    context: z
      .object({
        interface: z.enum(INTERFACES),
        surface: z.enum(SURFACES),
        variant: z.string().regex(VARIANT_PATTERN),
      })
      .strict(),
  })
  .strict()
export type RecommendationInput = z.output<typeof RecommendationBody>

export const SendStatus = z.enum(['sent', 'not_delivered'])
export const RecommendationResponse = z.object({
  sends: z.array(z.object({ id: z.string(), recipient: z.string(), status: SendStatus })),
})

export const FriendsResponse = z.object({
  appFriends: z
    .array(z.object({ id: z.string(), name: z.string(), avatarUrl: z.string().nullable() }))
    .optional(),
  suggestions: z
    .array(
      z.object({
        handle: z.string(),
        name: z.string(),
        avatarUrl: z.string().nullable(),
        expiresAt: z.string(),
      }),
    )
    .optional(),
})

export const PartnerParams = z.object({ clientId: ClientId }).strict()
export const MessageParams = z.object({ id: z.uuid() }).strict()
export const ReportBody = z
  .object({
    reason: z
      .string()
      .trim()
      .min(1)
      .max(1000)
      .refine((s) => !hasControlCharacters(s, true)),
  })
  .strict()

const Day = z.iso.date()
export const DailyCountsQuery = z
  .object({ from: Day.optional(), to: Day.optional() })
  .strict()
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be after to', path: ['from'] })
export const DailyCountsResponse = z.object({
  counts: z.array(
    z.object({
      day: z.string(),
      interface: z.string(),
      surface: z.string(),
      variant: z.string(),
      sends: z.number(),
      clicks: z.number(),
      uniqueClicks: z.number(),
    }),
  ),
})
export const RecipientControlsResponse = z.object({ muted: z.number(), reports: z.number() })
export const MutedPartnersResponse = z.object({
  mutes: z.array(
    z.object({
      clientId: z.string().describe('the partner app'),
      name: z.string().describe('its name, shown as text'),
      mutedAt: z.string().describe('when the user muted it (ISO 8601)'),
    }),
  ),
})
