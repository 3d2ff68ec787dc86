import { z } from 'zod'
import { hasControlCharacters } from '../../lib/text.ts'
import type { PrivilegedApi } from '../db.ts'

export const PRIVILEGED_APIS = [
  'inbox',
  'friends',
  'activity',
  'reporting',
] as const satisfies readonly PrivilegedApi[]

const MAX_URL_LENGTH = 2000
const cleanText = (s: string) => !hasControlCharacters(s) && s.isWellFormed()

/** A client id: 3 to 40 lowercase letters, digits or hyphens, not starting with a hyphen. */
export const ClientId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{2,39}$/, '3 to 40 of a-z, 0-9 and -, not starting with -')
export const PartnerName = z.string().trim().min(1).max(80).refine(cleanText, 'no control characters')
/** URLs are checked by the partner URL rules in the service, so each problem has its own error code. */
const UrlText = z.string().max(MAX_URL_LENGTH)
const Jwks = z
  .record(z.string(), z.unknown())
  .describe('A JWK Set of public signing keys: EC P-256, OKP Ed25519 or RSA ≥ 2048, each with a unique kid')

export const CreatePartnerBody = z
  .object({
    name: PartnerName,
    clientId: ClientId.optional(),
    logoUrl: UrlText.optional(),
    homepageUrl: UrlText,
    privacyPolicyUrl: UrlText,
    redirectUris: z.array(UrlText).min(1).max(10),
    jwksUri: UrlText.optional(),
    jwks: Jwks.optional(),
    webhookUrl: UrlText.optional(),
    dpopBoundAccessTokens: z.boolean().optional(),
  })
  .strict()
export type CreatePartner = z.output<typeof CreatePartnerBody>

export const UpdatePartnerBody = z
  .object({
    name: PartnerName.optional(),
    logoUrl: UrlText.nullable().optional(),
    homepageUrl: UrlText.optional(),
    privacyPolicyUrl: UrlText.optional(),
    redirectUris: z.array(UrlText).min(1).max(10).optional(),
    jwksUri: UrlText.optional(),
    jwks: Jwks.optional(),
    webhookUrl: UrlText.nullable().optional(),
    dpopBoundAccessTokens: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'give at least one field to change')
export type UpdatePartner = z.output<typeof UpdatePartnerBody>

export const ClientIdParams = z.object({ clientId: ClientId }).strict()

const MIN_TIME = Date.UTC(2000, 0, 1)
const MAX_TIME = Date.UTC(2100, 0, 1)

/**
 * A date (`2027-06-30`) or a date-time with an offset. A bare date means the start of that UTC day
 * for `validFrom` and the end of it for `validUntil` ("valid until 30 June" includes 30 June).
 */
const Instant = (edge: 'start' | 'end') =>
  z
    .union([z.iso.date(), z.iso.datetime({ offset: true })])
    .transform((s) => {
      const at = new Date(s.length === 10 ? `${s}T00:00:00Z` : s)
      return s.length === 10 && edge === 'end' ? new Date(at.getTime() + 86_400_000) : at
    })
    .refine((d) => d.getTime() >= MIN_TIME && d.getTime() < MAX_TIME, 'must be between 2000 and 2100')

export const Obligations = z
  .object({
    reportEveryDays: z.int().min(1).max(90).optional(),
    deletionReceiptDays: z.int().min(1).max(90).optional(),
  })
  .strict()

export const CreateAgreementsBody = z
  .object({
    clientId: ClientId,
    apis: z
      .array(z.enum(PRIVILEGED_APIS))
      .min(1)
      .max(PRIVILEGED_APIS.length)
      .refine((a) => new Set(a).size === a.length, 'each api once'),
    validFrom: Instant('start').optional(),
    validUntil: Instant('end'),
    obligations: Obligations.optional(),
  })
  .strict()
export type CreateAgreementsInput = z.output<typeof CreateAgreementsBody>

export const ExtendAgreementBody = z.object({ validUntil: Instant('end') }).strict()
export const EndAgreementBody = z
  .object({ reason: z.string().trim().min(1).max(500).refine(cleanText, 'no control characters') })
  .strict()
export const AgreementParams = z.object({ id: z.uuid() }).strict()
export const AgreementsQuery = z.object({ clientId: ClientId.optional() }).strict()

// Response shapes, for the OpenAPI document.

export const PartnerSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  name: z.string(),
  logoUrl: z.string().nullable(),
  homepageUrl: z.string(),
  privacyPolicyUrl: z.string(),
  redirectUris: z.array(z.string()),
  jwksUri: z.string().nullable(),
  jwks: z.record(z.string(), z.unknown()).nullable(),
  webhookUrl: z.string().nullable(),
  dpopBoundAccessTokens: z.boolean(),
  status: z.enum(['active', 'suspended']),
  createdAt: z.string(),
  updatedAt: z.string(),
})

export const AgreementStatus = z.enum(['active', 'lapsed', 'ended', 'future'])

export const AgreementSchema = z.object({
  id: z.uuid(),
  clientId: z.string(),
  api: z.enum(PRIVILEGED_APIS),
  version: z.int(),
  scopes: z.array(z.string()),
  validFrom: z.string(),
  validUntil: z.string(),
  endedAt: z.string().nullable(),
  endReason: z.string().nullable(),
  obligations: Obligations,
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  status: AgreementStatus,
})

export const ComplianceSchema = z.object({
  clientId: z.string(),
  name: z.string(),
  status: z.enum(['active', 'suspended']),
  inAgreement: z.boolean().describe('the partner is active and at least one agreement is in force'),
  agreements: z.array(
    z.object({
      id: z.uuid(),
      api: z.enum(PRIVILEGED_APIS),
      version: z.int(),
      validFrom: z.string(),
      validUntil: z.string(),
      endedAt: z.string().nullable(),
      endReason: z.string().nullable(),
      status: AgreementStatus,
    }),
  ),
  reports: z.object({
    everyDays: z.int().nullable(),
    due: z.array(
      z.object({
        periodStart: z.string(),
        periodEnd: z.string().describe('exclusive'),
        dueAt: z.string(),
        status: z.enum(['received', 'due', 'late']),
        receivedAt: z.string().optional(),
      }),
    ),
  }),
  deletionReceipts: z
    .object({ outstanding: z.int(), overdue: z.int(), received: z.int() })
    .describe('outstanding: not yet received; overdue: the outstanding ones past their due date'),
  grants: z.object({ active: z.int(), revoked: z.int() }),
  recipientControls: z
    .object({ muted: z.int(), reports: z.int() })
    .describe('muted: users who muted the partner; reports: reports filed about messages it sent'),
})
