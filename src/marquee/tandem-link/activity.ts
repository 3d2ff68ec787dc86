import type { MarqueeContext, WatchListener } from '../context.ts'
import type { Db } from '../db.ts'
import { beginAuthorization, findConnection } from './connections.ts'
import { DEFAULT_SCOPES } from './oidc.ts'

/**
 * "Share what I watch on Tandem" (DESIGN.md story 7). Off by default; on only by the user's own
 * action, which needs Tandem's `activity.publish` scope; it lapses two years after that consent, as
 * the US Video Privacy Protection Act asks (18 U.S.C. § 2710(b)(2)(B)), and the user is asked again.
 */
export const ACTIVITY_SCOPE = 'activity.publish'
const CONSENT_YEARS = 2

export function lapseOf(consentedAt: Date): Date {
  const lapses = new Date(consentedAt)
  lapses.setUTCFullYear(lapses.getUTCFullYear() + CONSENT_YEARS)
  return lapses
}

export interface ActivitySetting {
  enabled: boolean
  consentedAt: string | null
  lapsesAt: string | null
  /** The consent ran out: the setting is off until the user turns it on again. */
  lapsed: boolean
}

/** The setting as it stands now: on only with a live consent and a grant that still holds the scope. */
export async function activitySetting(db: Db, now: Date, userId: string): Promise<ActivitySetting> {
  const row = await db
    .selectFrom('tandem_activity_consents')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirst()
  const connection = await findConnection(db, userId)
  if (!row?.consented_at) return { enabled: false, consentedAt: null, lapsesAt: null, lapsed: false }
  const lapsesAt = lapseOf(row.consented_at)
  const lapsed = lapsesAt <= now
  const granted = connection?.scopes.includes(ACTIVITY_SCOPE) ?? false
  return {
    enabled: row.enabled && !lapsed && granted,
    consentedAt: row.consented_at.toISOString(),
    lapsesAt: lapsesAt.toISOString(),
    lapsed: row.enabled && lapsed,
  }
}

export type SetActivityResult = { activity: ActivitySetting } | { consentRequired: { authorizeUrl: string } }

/**
 * Turns the setting on or off. Off takes effect at once. On records a fresh consent when the grant
 * holds `activity.publish`; otherwise it starts an incremental authorization asking for that scope
 * (and keeping what was granted), after which the callback turns the setting on.
 */
export async function setActivity(
  ctx: MarqueeContext,
  userId: string,
  input: { enabled: boolean; returnTo: string },
): Promise<SetActivityResult> {
  const now = ctx.clock.now()
  if (!input.enabled) {
    await ctx.db
      .updateTable('tandem_activity_consents')
      .set({ enabled: false, updated_at: now })
      .where('user_id', '=', userId)
      .execute()
    return { activity: await activitySetting(ctx.db, now, userId) }
  }
  const current = await activitySetting(ctx.db, now, userId)
  if (current.enabled) return { activity: current }
  const connection = await findConnection(ctx.db, userId)
  if (!connection?.scopes.includes(ACTIVITY_SCOPE)) {
    const scopes = connection ? connection.scopes : [...DEFAULT_SCOPES]
    const url = await beginAuthorization(ctx, userId, {
      scopes: [...scopes, ACTIVITY_SCOPE],
      purpose: 'activity',
      returnTo: input.returnTo,
    })
    return { consentRequired: { authorizeUrl: url.href } }
  }
  await ctx.db
    .insertInto('tandem_activity_consents')
    .values({ user_id: userId, enabled: true, consented_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({ enabled: true, consented_at: now, updated_at: now }),
    )
    .execute()
  return { activity: await activitySetting(ctx.db, now, userId) }
}

/** Publishes 'watching' and 'finished' while the setting is on; only the title leaves Marquee, nothing else. */
export function activityPublisher(ctx: MarqueeContext): WatchListener {
  return async (event) => {
    const setting = await activitySetting(ctx.db, ctx.clock.now(), event.userId)
    if (!setting.enabled) return
    const link = await ctx.tandem.clientFor(event.userId)
    if (!link?.scopes.includes(ACTIVITY_SCOPE)) return
    const title = await ctx.db
      .selectFrom('titles')
      .select(['id', 'name'])
      .where('id', '=', event.titleId)
      .executeTakeFirst()
    if (!title) return
    const origin = ctx.config.publicOrigin
    const id = encodeURIComponent(title.id)
    await link.client.publishActivity({
      kind: event.kind,
      title: {
        id: title.id,
        name: title.name,
        imageUrl: `${origin}/posters/${id}.svg`,
        url: `${origin}/titles/${id}`,
      },
    })
  }
}
