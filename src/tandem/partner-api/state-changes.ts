import { notify } from '../../lib/db.ts'
import type { Db } from '../db.ts'

/**
 * Grants and agreements change rarely and are read on every partner call, so guards cache them for at
 * most a second; this channel tells every instance to drop that cache the moment one changes, so a
 * revocation or an ended agreement holds on the very next call, on any instance.
 */
export const PARTNER_STATE_CHANNEL = 'tandem_partner_state'

/** Inside the changing transaction: delivered only if it commits. */
export async function announcePartnerStateChange(db: Db, what: string): Promise<void> {
  await notify(db, PARTNER_STATE_CHANNEL, what)
}
