/**
 * The closed lists of the measurement domain (MEASUREMENT.md), in one place for Tandem and Marquee.
 * Reports cover every cell of these lists, so adding a value widens every report from then on.
 */
export const INTERFACES = ['web', 'tv', 'mobile'] as const
export type Interface = (typeof INTERFACES)[number]

export const SURFACES = ['title_page', 'post_play', 'browse_row', 'search', 'watch_party_end'] as const
export type Surface = (typeof SURFACES)[number]

export const RECIPIENT_TYPES = ['tandem', 'external'] as const
export type RecipientType = (typeof RECIPIENT_TYPES)[number]

/** A/B arm names are the partner's own; only their shape is fixed. */
export const VARIANT_PATTERN = /^[a-z0-9_-]{1,40}$/

export const isInterface = (value: unknown): value is Interface =>
  typeof value === 'string' && (INTERFACES as readonly string[]).includes(value)
export const isSurface = (value: unknown): value is Surface =>
  typeof value === 'string' && (SURFACES as readonly string[]).includes(value)
export const isRecipientType = (value: unknown): value is RecipientType =>
  typeof value === 'string' && (RECIPIENT_TYPES as readonly string[]).includes(value)
export const isVariant = (value: unknown): value is string =>
  typeof value === 'string' && VARIANT_PATTERN.test(value)
