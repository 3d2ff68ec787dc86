import { z } from 'zod'
import type { MarqueeContext } from '../context.ts'

/** Marquee's client id at Tandem and the secret Tandem signs its webhooks with. */
export interface TandemRegistration {
  clientId: string
  webhookSecret: string
}

export const TandemRegistrationInput = z.object({
  clientId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'printable characters, no spaces'),
  webhookSecret: z.string().min(16).max(500),
})

const SEAL_CONTEXT = 'tandem-webhook-secret'

type RegistrationContext = Pick<MarqueeContext, 'db' | 'secrets' | 'clock'>

/** Stores the registration an operator (or the demo start script) got from Tandem; the secret is sealed. */
export async function saveTandemRegistration(
  ctx: RegistrationContext,
  input: TandemRegistration,
): Promise<void> {
  const { clientId, webhookSecret } = TandemRegistrationInput.parse(input)
  const row = {
    client_id: clientId,
    webhook_secret_enc: ctx.secrets.seal(webhookSecret, SEAL_CONTEXT),
    updated_at: ctx.clock.now(),
  }
  await ctx.db
    .insertInto('tandem_registration')
    .values({ id: 1, ...row })
    .onConflict((oc) => oc.column('id').doUpdateSet(row))
    .execute()
}

/**
 * The registration in force: the environment's values win over the database's, each separately, so an
 * operator can pin one in the environment. Undefined until both are known.
 */
export async function loadTandemRegistration(
  ctx: RegistrationContext & Pick<MarqueeContext, 'config'>,
): Promise<TandemRegistration | undefined> {
  const fromConfig = ctx.config.tandem
  let clientId = fromConfig.clientId
  let webhookSecret = fromConfig.webhookSecret
  if (clientId === undefined || webhookSecret === undefined) {
    const row = await ctx.db.selectFrom('tandem_registration').selectAll().executeTakeFirst()
    if (row) {
      clientId ??= row.client_id
      webhookSecret ??= ctx.secrets.open(row.webhook_secret_enc, SEAL_CONTEXT)
    }
  }
  if (clientId === undefined || webhookSecret === undefined) return undefined
  return { clientId, webhookSecret }
}
