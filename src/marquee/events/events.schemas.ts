import { z } from 'zod'
import { INTERFACES, RECIPIENT_TYPES, SURFACES, VARIANT_PATTERN } from '../../lib/measurement-dimensions.ts'
import { CLICK_CLASSES } from './events.service.ts'

/** An event time: ISO 8601 with a zone, between 2000 and 2100 (nothing else is a plausible event). */
const At = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s))
  .refine((d) => d.getTime() >= Date.UTC(2000, 0, 1) && d.getTime() < Date.UTC(2100, 0, 1), 'out of range')

/** Ids are keys: compared as PostgreSQL prints them, in lower case. */
const Id = z.uuid().transform((s) => s.toLowerCase())

const SentBody = z
  .object({
    type: z.literal('recommendation.sent'),
    sendId: Id,
    senderId: Id,
    titleId: z.string().min(1).max(100),
    interface: z.enum(INTERFACES),
    surface: z.enum(SURFACES),
    variant: z.string().regex(VARIANT_PATTERN),
    recipientType: z.enum(RECIPIENT_TYPES),
    at: At,
  })
  .strict()

const ClickedBody = z
  .object({
    type: z.literal('recommendation.clicked'),
    id: Id,
    sendId: Id,
    clickClass: z.enum(CLICK_CLASSES),
    at: At,
  })
  .strict()

const ConfirmedBody = z
  .object({ type: z.literal('recommendation.click_confirmed'), id: Id, sendId: Id, at: At })
  .strict()

export const MAX_EVENTS_PER_BATCH = 1000

export const EventsBody = z
  .object({
    events: z
      .array(z.discriminatedUnion('type', [SentBody, ClickedBody, ConfirmedBody]))
      .min(1)
      .max(MAX_EVENTS_PER_BATCH),
  })
  .strict()

export const IngestResultSchema = z.object({
  received: z.number(),
  recorded: z.number(),
  duplicates: z.number(),
})
