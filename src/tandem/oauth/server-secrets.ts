import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto'
import type { SecretBox } from '../../lib/secret-box.ts'
import type { Db } from '../db.ts'

export interface ServerSecrets {
  /** Private signing keys (JWK) for ID tokens and JWT access tokens; the first one signs. */
  signingKeys: Record<string, unknown>[]
  /** Keys for oidc-provider's signed cookies. */
  cookieKeys: string[]
  /** Salt of the app-scoped (pairwise) subject ids. */
  pairwiseSalt: string
}

function generate(name: string): string {
  switch (name) {
    case 'oidc_signing_key': {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      const jwk = privateKey.export({ format: 'jwk' })
      return JSON.stringify({ ...jwk, kid: randomUUID(), alg: 'ES256', use: 'sig' })
    }
    default:
      return randomBytes(32).toString('base64url')
  }
}

/**
 * Loads (or creates, once) the secrets every Tandem instance must share, sealed at rest.
 * Two instances starting together both insert-if-absent and then read the one that won.
 */
async function loadSecret(db: Db, box: SecretBox, name: string, now: Date): Promise<string> {
  const context = `server-secret:${name}`
  await db
    .insertInto('server_secrets')
    .values({ name, value_enc: box.seal(generate(name), context), created_at: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
  const row = await db
    .selectFrom('server_secrets')
    .select('value_enc')
    .where('name', '=', name)
    .executeTakeFirstOrThrow()
  return box.open(row.value_enc, context)
}

export async function loadServerSecrets(db: Db, box: SecretBox, now: Date): Promise<ServerSecrets> {
  const signingKey = JSON.parse(await loadSecret(db, box, 'oidc_signing_key', now)) as Record<string, unknown>
  return {
    signingKeys: [signingKey],
    cookieKeys: [await loadSecret(db, box, 'oidc_cookie_key', now)],
    pairwiseSalt: await loadSecret(db, box, 'pairwise_salt', now),
  }
}

/** The public half of the signing keys, as a JWKS (what /oauth/jwks publishes). */
export function publicJwks(secrets: ServerSecrets) {
  return {
    keys: secrets.signingKeys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub }) => pub),
  }
}
