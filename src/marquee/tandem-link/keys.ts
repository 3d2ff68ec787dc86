import { randomUUID } from 'node:crypto'
import { CompactSign, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import type { MarqueeContext } from '../context.ts'

/**
 * Marquee's signing keys. EdDSA (Ed25519) signs what Marquee states to Tandem: deletion receipts and
 * reports. ES256 authenticates Marquee at Tandem's token endpoint (private_key_jwt), the algorithm
 * every OAuth server accepts. Both public keys are served at /.well-known/jwks.json, which Tandem
 * knows as Marquee's jwks_uri. Made at first start; the private halves are sealed in the database.
 */
export type KeyAlg = 'EdDSA' | 'ES256'

export interface SigningKey {
  kid: string
  alg: KeyAlg
  privateKey: CryptoKey
  publicJwk: JWK
}

export interface SigningKeys {
  EdDSA: SigningKey
  ES256: SigningKey
}

const ALGS: readonly KeyAlg[] = ['EdDSA', 'ES256']
const sealContext = (kid: string) => `signing-key:${kid}`

type KeyContext = Pick<MarqueeContext, 'db' | 'secrets' | 'clock'>

const loaded = new WeakMap<object, Promise<SigningKeys>>()

/** The live keys, made on first use and kept for the life of the context. */
export function signingKeys(ctx: KeyContext): Promise<SigningKeys> {
  let keys = loaded.get(ctx)
  if (!keys) {
    keys = ensureSigningKeys(ctx)
    keys.catch(() => loaded.delete(ctx))
    loaded.set(ctx, keys)
  }
  return keys
}

/** Makes the missing live keys (several instances may race: the unique index keeps one per algorithm). */
export async function ensureSigningKeys(ctx: KeyContext): Promise<SigningKeys> {
  for (const alg of ALGS) {
    const live = await ctx.db
      .selectFrom('signing_keys')
      .select('kid')
      .where('alg', '=', alg)
      .where('retired_at', 'is', null)
      .executeTakeFirst()
    if (live) continue
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
    const kid = randomUUID()
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg }
    await ctx.db
      .insertInto('signing_keys')
      .values({
        kid,
        alg,
        public_jwk: JSON.stringify(publicJwk),
        private_jwk_enc: ctx.secrets.seal(JSON.stringify(privateJwk), sealContext(kid)),
        created_at: ctx.clock.now(),
      })
      .onConflict((oc) => oc.doNothing())
      .execute()
  }
  const rows = await ctx.db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).execute()
  const keys: Partial<SigningKeys> = {}
  for (const row of rows) {
    const privateJwk = JSON.parse(ctx.secrets.open(row.private_jwk_enc, sealContext(row.kid))) as JWK
    keys[row.alg] = {
      kid: row.kid,
      alg: row.alg,
      privateKey: (await importJWK(privateJwk, row.alg)) as CryptoKey,
      publicJwk: row.public_jwk as JWK,
    }
  }
  if (!keys.EdDSA || !keys.ES256) throw new Error('signing keys are missing')
  return keys as SigningKeys
}

/**
 * The public JWK Set, from the keys loaded at start: no database query, so Tandem can fetch it even
 * while this instance holds the database (a token refresh, which Tandem authenticates with this set).
 */
export async function publicJwks(ctx: KeyContext): Promise<{ keys: JWK[] }> {
  const keys = await signingKeys(ctx)
  return { keys: ALGS.map((alg) => keys[alg].publicJwk) }
}

/** A compact JWS over `payload` (JSON-encoded unless a string) with Marquee's EdDSA key. */
export async function signJws(
  ctx: KeyContext,
  payload: unknown,
  options: { typ?: string; cty?: string } = {},
): Promise<string> {
  const key = (await signingKeys(ctx)).EdDSA
  const bytes = new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload))
  return new CompactSign(bytes)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, ...options })
    .sign(key.privateKey)
}
