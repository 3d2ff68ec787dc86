import { z } from 'zod'

export { ClientIdParams } from '../partners/partners.schemas.ts'

export const ReportIdParams = z.object({ id: z.uuid() }).strict()

const Day = z.iso.date()
const Numbers = z.array(z.number())
const Series = z.object({ sends: Numbers, clicks: Numbers, uniqueClicks: Numbers })
const Breakdown = z.array(Series.extend({ value: z.string() }))
const Dimensions = z.object({
  interface: z.array(z.string()),
  surface: z.array(z.string()),
  variant: z.array(z.string()),
  recipientType: z.array(z.string()),
})

export const ReportVersionSchema = z.object({
  id: z.uuid(),
  clientId: z.string(),
  periodStart: Day,
  periodEnd: Day,
  status: z.enum(['provisional', 'final']),
  supersedes: z.uuid().nullable().describe('The version this one restates'),
  supersededBy: z.uuid().nullable().describe('The version that restates this one'),
  receivedAt: z.iso.datetime(),
  dueAt: z.iso.datetime().describe('When the 14-day obligation wanted it: two days after the period'),
  timeliness: z.enum(['on_time', 'late']),
  verdict: z.enum(['consistent', 'discrepant']).nullable(),
  flaggedCells: z.number().int().nullable(),
})

const Flag = z.object({
  level: z.enum(['day', 'period']),
  day: Day.nullable(),
  interface: z.string(),
  surface: z.string(),
  variant: z.string(),
  measure: z.enum(['sends', 'clicks', 'uniqueClicks']),
  direction: z.enum(['under', 'over']),
  reported: z.number(),
  tandem: z.number(),
  excess: z.number(),
  allowance: z.number(),
})

export const ReconciliationSchema = z.object({
  verdict: z.enum(['consistent', 'discrepant']),
  noise: z.object({
    mechanism: z.string(),
    scale: z.number().nullable(),
    halfWidth95: z.number(),
    expectedHalfWidth95: z.number().nullable(),
    manifestConsistent: z.boolean(),
  }),
  checks: z.object({ day: z.number(), period: z.number() }),
  flags: z.array(Flag),
  flagCounts: z.object({ day: z.number(), period: z.number() }),
  allowedFlags: z.object({ day: z.number(), period: z.number() }),
  unreportedCells: z.number(),
  totals: z.object({
    reportedSends: z.number(),
    tandemSends: z.number(),
    reportedUniqueClicks: z.number(),
    tandemUniqueClicks: z.number(),
  }),
})

export const ReportViewSchema = z.object({
  report: ReportVersionSchema.extend({ partnerName: z.string(), generatedAt: z.string() }),
  manifest: z.record(z.string(), z.unknown()).describe('The privacy manifest as the partner declared it'),
  dimensions: Dimensions,
  days: z.array(Day),
  breakdowns: z
    .object({ interface: Breakdown, surface: Breakdown, variant: Breakdown })
    .describe('The tandem rows summed per day for each value of each dimension, aligned with days'),
  cells: z
    .array(
      z.object({
        interface: z.string(),
        surface: z.string(),
        variant: z.string(),
        reported: Series,
        tandem: Series.describe('Tandem’s own counts as they stand now'),
      }),
    )
    .describe('Each interface × surface × variant cell of the tandem rows, per day, with Tandem’s counts'),
  reconciliation: ReconciliationSchema.describe('As computed and stored when the report was received'),
})

export const PublicPartnerSchema = z.object({
  partner: z.object({
    id: z.string(),
    clientId: z.string(),
    name: z.string(),
    homepageUrl: z.string(),
    privacyPolicyUrl: z.string(),
    status: z.enum(['active', 'suspended']),
  }),
  apis: z.array(z.object({ api: z.string(), validUntil: z.iso.datetime(), purpose: z.string() })),
  periods: z.array(
    z.object({
      reportId: z.uuid(),
      periodStart: Day,
      periodEnd: Day,
      receivedAt: z.iso.datetime(),
      days: z.array(Day),
      dimensions: Dimensions,
      totals: z.object({
        interface: Breakdown,
        surface: Breakdown,
        variant: Breakdown,
        recipientType: Breakdown,
      }),
      rows: z.array(
        z.object({
          day: Day,
          interface: z.string(),
          surface: z.string(),
          variant: z.string(),
          recipientType: z.string(),
          sends: z.number(),
          clicks: z.number(),
          uniqueClicks: z.number(),
        }),
      ),
      privacy: z.object({
        mechanism: z.string(),
        epsilonPerDay: z.unknown(),
        epsilonTotal: z.unknown(),
        halfWidth95: z.unknown(),
        contributionBound: z.unknown(),
        clippedShare: z.unknown(),
        inPlainWords: z.array(z.string()),
      }),
    }),
  ),
})
