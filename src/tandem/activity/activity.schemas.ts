import { z } from 'zod'
import { hasControlCharacters } from '../../lib/text.ts'

const HttpUrl = z
  .string()
  .max(2000)
  .refine((value) => {
    try {
      const url = new URL(value)
      return url.protocol === 'https:' || url.protocol === 'http:'
    } catch {
      return false
    }
  }, 'an http(s) URL')
  .describe('an http(s) URL')

const PlainText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !hasControlCharacters(s), 'no control characters')
    .describe('plain text without control characters; shown as text, never as markup')

export const ActivityKind = z.enum(['watching', 'finished'])

export const ActivityTitleBody = z
  .object({
    id: PlainText(200),
    name: PlainText(200),
    imageUrl: HttpUrl.optional(),
    url: HttpUrl,
  })
  .strict()

export const PublishActivityBody = z.object({ title: ActivityTitleBody, kind: ActivityKind }).strict()
export type PublishActivity = z.output<typeof PublishActivityBody>

export const ActivityItemSchema = z.object({
  id: z.uuid(),
  kind: ActivityKind,
  title: z.object({ id: z.string(), name: z.string(), imageUrl: z.string().nullable(), url: z.string() }),
  partner: z.object({ clientId: z.string(), name: z.string() }),
  createdAt: z.string(),
})
