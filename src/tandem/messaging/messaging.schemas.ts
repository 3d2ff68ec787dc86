import { z } from 'zod'
import { Username } from '../../lib/account-fields.ts'
import { hasControlCharacters } from '../../lib/text.ts'
import { MAX_URL_LENGTH, safeHttpUrl } from '../links/links.service.ts'
import { MAX_GROUP_MEMBERS } from './messaging.service.ts'

const noControl = (s: string) => !hasControlCharacters(s, true)

export const HttpUrl = z
  .string()
  .max(MAX_URL_LENGTH)
  .refine((s) => safeHttpUrl(s) !== undefined, 'must be an http or https URL')

export const TitleCardInput = z
  .object({
    title: z.string().trim().min(1).max(200).refine(noControl, 'no control characters'),
    imageUrl: HttpUrl.nullable().optional(),
    url: HttpUrl,
  })
  .strict()

export const SendMessageBody = z
  .object({
    text: z.string().max(4000).refine(noControl, 'no control characters').default(''),
    card: TitleCardInput.optional(),
  })
  .strict()
  .refine((b) => b.card !== undefined || b.text.trim().length > 0, {
    message: 'a message needs text or a card',
    path: ['text'],
  })

export const CreateThreadBody = z
  .object({
    usernames: z
      .array(Username)
      .min(1)
      .max(MAX_GROUP_MEMBERS - 1),
    title: z.string().trim().min(1).max(80).refine(noControl, 'no control characters').optional(),
  })
  .strict()

export const ThreadParams = z.object({ id: z.uuid() }).strict()
export const InboxQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(30),
    before: z.string().max(200).optional(),
  })
  .strict()
export const MessagesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict()
export const ReadBody = z
  .object({ seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() })
  .strict()
