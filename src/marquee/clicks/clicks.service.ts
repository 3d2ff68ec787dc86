import { AppError } from '../../lib/errors.ts'
import type { Db } from '../db.ts'
import { recordEvents } from '../events/events.service.ts'

/**
 * Records the beacon of one landing-page view as `recommendation.click_confirmed`, keyed by the click's
 * id (a repeated beacon counts once). A view that was classified as a preview fetch or a scanner is
 * not confirmed even if its page ran script: sandboxes that render pages are not people.
 */
export async function confirmClick(
  db: Db,
  input: { sendId: string; clickId: string; at: Date },
): Promise<boolean> {
  const click = await db
    .selectFrom('events')
    .select(['click_class'])
    .where('id', '=', input.clickId)
    .where('type', '=', 'recommendation.clicked')
    .where('send_id', '=', input.sendId)
    .executeTakeFirst()
  if (!click) throw new AppError(404, 'click_not_found', 'no such click on this link')
  if (click.click_class === 'preview_fetch' || click.click_class === 'scanner') return false
  await recordEvents(
    db,
    [{ type: 'recommendation.click_confirmed', id: input.clickId, sendId: input.sendId, at: input.at }],
    {
      receivedAt: input.at,
    },
  )
  return true
}
