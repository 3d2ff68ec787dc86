import { randomUUID } from 'node:crypto'
import { CompactSign, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import type { ExpressionBuilder } from 'kysely'
import type { MarqueeContext } from '../context.ts'
import type { MarqueeDatabase } from '../db.ts'

/**
 * Marquee's signing keys. EdDSA (Ed25519) signs what Marquee states to Tandem: deletion receipts and
 * reports. ES256 authenticates Marquee at Tandem's token endpoint (private_key_jwt), the algorithm
 * every OAuth server accepts. Both public keys are served at /.well-known/jwks.json, which Tandem
 * knows as Marquee's jwks_uri. Made at first start; the private halves are sealed in the database.
 * The CLI's `rotate-keys` replaces them: the new key is published before it signs, and the old one
 * stays published a day after it stops, then is deleted.
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

export const ALGS: readonly KeyAlg[] = ['EdDSA', 'ES256']
const sealContext = (kid: string) => `signing-key:${kid}`

/** A retired key stays in the JWK Set this long, so what it signed just before a rotation still verifies. */
export const RETIRED_KEY_PUBLISHED_MS = 86_400_000
/**
 * A rotated-in key is published this long before it signs: longer than Tandem keeps a fetched JWK Set
 * (jose's remote set: 10 minutes), so Tandem has the new key before it meets a signature by it.
 */
export const NEW_KEY_LEAD_MS = 15 * 60_000
/** How often a running server looks for keys rotated by another process (the CLI, another instance). */
const RELOAD_MS = 60_000

type KeyContext = Pick<MarqueeContext, 'db' | 'secrets' | 'clock'>

interface LoadedKeys {
  live: SigningKeys
  /** Keys published now (signing, about to sign, or retired within a day): the JWK Set. */
  published: JWK[]
  /** When to look again: a minute on, or sooner when a scheduled key starts signing. */
  reloadAt: number
}

const loaded = new WeakMap<object, { value: Promise<LoadedKeys>; reloading: boolean }>()

/**
 * The keys signing now, made on first use. A server reloads them in the background at most a minute
 * apart and when a scheduled key starts signing, so a rotation made elsewhere is taken up; meanwhile
 * the key it replaces still verifies, since a retired key stays published for a day.
 */
export async function signingKeys(ctx: KeyContext): Promise<SigningKeys> {
  return (await loadedKeys(ctx)).live
}

async function loadedKeys(ctx: KeyContext): Promise<LoadedKeys> {
  let entry = loaded.get(ctx)
  if (!entry) {
    const value = ensureSigningKeys(ctx).then(() => readKeys(ctx))
    entry = { value, reloading: false }
    loaded.set(ctx, entry)
    value.catch(() => {
      if (loaded.get(ctx) === entry) loaded.delete(ctx)
    })
    return value
  }
  const current = await entry.value
  if (!entry.reloading && ctx.clock.now().getTime() >= current.reloadAt) {
    const stale = entry
    stale.reloading = true
    // Served from what is loaded meanwhile: the JWK Set must answer even while this process holds the
    // embedded database's one connection (Tandem fetches it during a token request Marquee makes).
    readKeys(ctx, current).then(
      (fresh) => {
        if (loaded.get(ctx) === stale) loaded.set(ctx, { value: Promise.resolve(fresh), reloading: false })
      },
      () => {
        stale.reloading = false
      },
    )
  }
  return current
}

/** Makes the missing keys (several instances may race: the unique index keeps one unretired key per algorithm). */
export async function ensureSigningKeys(ctx: KeyContext): Promise<void> {
  for (const alg of ALGS) {
    const live = await ctx.db
      .selectFrom('signing_keys')
      .select('kid')
      .where('alg', '=', alg)
      .where('retired_at', 'is', null)
      .executeTakeFirst()
    if (!live) await insertKey(ctx, alg, ctx.clock.now())
  }
}

async function insertKey(ctx: KeyContext, alg: KeyAlg, signsFrom: Date): Promise<string> {
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
      signs_from: signsFrom,
    })
    .onConflict((oc) => oc.doNothing())
    .execute()
  return kid
}

/** Keys still in the JWK Set at `now`: not retired, or retired less than RETIRED_KEY_PUBLISHED_MS ago. */
const stillPublished = (now: Date) => (eb: ExpressionBuilder<MarqueeDatabase, 'signing_keys'>) =>
  eb.or([
    eb('retired_at', 'is', null),
    eb('retired_at', '>', new Date(now.getTime() - RETIRED_KEY_PUBLISHED_MS)),
  ])

/** Reads the published keys; a key `previous` already holds is taken from there, not unsealed again. */
async function readKeys(ctx: KeyContext, previous?: LoadedKeys): Promise<LoadedKeys> {
  const now = ctx.clock.now().getTime()
  const rows = await ctx.db
    .selectFrom('signing_keys')
    .selectAll()
    .where(stillPublished(ctx.clock.now()))
    .orderBy('signs_from', 'desc')
    .execute()
  const live: Partial<SigningKeys> = {}
  let reloadAt = now + RELOAD_MS
  for (const row of rows) {
    const from = row.signs_from.getTime()
    const until = row.retired_at?.getTime() ?? Number.POSITIVE_INFINITY
    for (const moment of [from, until]) if (moment > now) reloadAt = Math.min(reloadAt, moment)
    if (live[row.alg] || from > now || until <= now) continue
    const known = previous?.live[row.alg]
    if (known?.kid === row.kid) {
      live[row.alg] = known
      continue
    }
    const privateJwk = JSON.parse(ctx.secrets.open(row.private_jwk_enc, sealContext(row.kid))) as JWK
    live[row.alg] = {
      kid: row.kid,
      alg: row.alg,
      privateKey: (await importJWK(privateJwk, row.alg)) as CryptoKey,
      publicJwk: row.public_jwk as JWK,
    }
  }
  if (!live.EdDSA || !live.ES256) throw new Error('signing keys are missing')
  return { live: live as SigningKeys, published: rows.map((r) => r.public_jwk as JWK), reloadAt }
}

export interface RotateOptions {
  algs?: readonly KeyAlg[]
  /**
   * For a key that may have leaked: the new keys sign at once and the old ones leave the JWK Set at
   * once (what they signed no longer verifies). Otherwise the new keys are published now and sign
   * from NEW_KEY_LEAD_MS on, and the old ones stay published a day after that.
   */
  compromised?: boolean
}

/** Schedules the replacement of each algorithm's key, in one transaction. */
export async function rotateSigningKeys(
  ctx: KeyContext,
  options: RotateOptions = {},
): Promise<{ retired: string[]; created: string[]; signsFrom: Date }> {
  const algs = [...(options.algs ?? ALGS)]
  const now = ctx.clock.now()
  const signsFrom = options.compromised ? now : new Date(now.getTime() + NEW_KEY_LEAD_MS)
  const result = await ctx.db.transaction().execute(async (trx) => {
    const retired = options.compromised
      ? await trx
          .deleteFrom('signing_keys')
          .where('alg', 'in', algs)
          .where(stillPublished(now))
          .returning('kid')
          .execute()
      : await trx
          .updateTable('signing_keys')
          .set({ retired_at: signsFrom })
          .where('alg', 'in', algs)
          .where('retired_at', 'is', null)
          .returning('kid')
          .execute()
    const created: string[] = []
    for (const alg of algs) created.push(await insertKey({ ...ctx, db: trx }, alg, signsFrom))
    return { retired: retired.map((r) => r.kid), created }
  })
  loaded.delete(ctx)
  return { ...result, signsFrom }
}

/** Deletes keys retired more than a day ago: no longer published, their private halves serve nothing. */
export async function deleteRetiredKeys(ctx: Pick<KeyContext, 'db' | 'clock'>): Promise<number> {
  const cutoff = new Date(ctx.clock.now().getTime() - RETIRED_KEY_PUBLISHED_MS)
  const result = await ctx.db.deleteFrom('signing_keys').where('retired_at', '<=', cutoff).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/**
 * The public JWK Set from the keys loaded in memory: no database query on the request's path, so
 * Tandem can fetch it even while this instance holds the database (a token request, which Tandem
 * authenticates with this set). Retired keys stay in it for a day after a rotation.
 */
export async function publicJwks(ctx: KeyContext): Promise<{ keys: JWK[] }> {
  return { keys: (await loadedKeys(ctx)).published }
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
