import { z } from 'zod'
import { hasControlCharacters } from '../../lib/text.ts'

const noControl = (s: string) => !hasControlCharacters(s)
const label = (max: number) => z.string().min(1).max(max).refine(noControl, 'no control characters')

/** A partner's client id as it appears in URLs and in ledger entries. */
export const ClientId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, underscore and hyphen only')

/** What a caller records: checked before it is hashed, since a malformed entry is a bug in the caller. */
export const LedgerEntryInput = z
  .object({
    userId: z.uuid(),
    clientId: ClientId,
    scope: label(500),
    action: label(100),
    objectCount: z.number().int().min(0).max(2_147_483_647),
    purpose: label(500),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()

export const ClientIdParams = z.object({ clientId: ClientId }).strict()

export const LedgerQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    format: z.enum(['json', 'csv']).optional(),
  })
  .strict()

export const LedgerEntryOut = z.object({
  id: z.string(),
  seq: z.number(),
  clientId: z.string(),
  scope: z.string(),
  action: z.string(),
  objectCount: z.number(),
  purpose: z.string(),
  details: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  hash: z.string(),
  prevHash: z.string(),
})

export const LedgerPageOut = z.object({ entries: z.array(LedgerEntryOut), nextCursor: z.string().nullable() })

export const VerificationOut = z.union([
  z.object({ ok: z.literal(true), entries: z.number(), head: z.string().nullable() }),
  z.object({
    ok: z.literal(false),
    entries: z.number(),
    brokenAt: z.object({ seq: z.number(), reason: z.enum(['hash_mismatch', 'chain_broken', 'gap']) }),
  }),
])
