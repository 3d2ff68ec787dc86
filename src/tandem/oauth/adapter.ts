import { type Adapter, type AdapterPayload, errors } from 'oidc-provider'
import type { Clock } from '../../lib/clock.ts'
import { sha256 } from '../../lib/ids.ts'
import type { SecretBox } from '../../lib/secret-box.ts'
import type { Db } from '../db.ts'
import { announcePartnerStateChange } from '../partner-api/state-changes.ts'
import { findClientMetadata } from './clients.ts'
import { markGrantRevoked } from './grants.repository.ts'

/** Models whose consumption spends a grant (a code or a refresh token): a second use revokes it. */
const GRANT_SOURCES = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
])

/**
 * oidc-provider storage on Kysely. Row keys are SHA-256 hashes of the ids (a token's id is its
 * value, SECURITY.md row 23), and payloads are sealed, since some carry session ids in clear.
 * Lookups by grant id, session uid and user code also go through hashes.
 */
export function createAdapterClass(
  db: Db,
  clock: Clock,
  box: SecretBox,
  onGrantRevoked?: (grantId: string) => void,
) {
  return class KyselyAdapter implements Adapter {
    name: string

    constructor(name: string) {
      this.name = name
    }

    #context(idHash: string) {
      return `oidc:${this.name}:${idHash}`
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const idHash = sha256(id)
      const row = {
        model: this.name,
        id_hash: idHash,
        payload: JSON.stringify({ sealed: box.seal(JSON.stringify(payload), this.#context(idHash)) }),
        grant_id: payload.grantId ? sha256(payload.grantId) : null,
        uid: payload.uid ? sha256(payload.uid) : null,
        user_code_hash: payload.userCode ? sha256(payload.userCode) : null,
        expires_at: expiresIn ? new Date(clock.now().getTime() + expiresIn * 1000) : null,
        consumed_at: null,
      }
      await db
        .insertInto('oidc_payloads')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['model', 'id_hash']).doUpdateSet({
            payload: row.payload,
            grant_id: row.grant_id,
            uid: row.uid,
            user_code_hash: row.user_code_hash,
            expires_at: row.expires_at,
          }),
        )
        .execute()
    }

    async #findBy(
      column: 'id_hash' | 'uid' | 'user_code_hash',
      value: string,
    ): Promise<AdapterPayload | undefined> {
      const row = await db
        .selectFrom('oidc_payloads')
        .select(['id_hash', 'payload', 'consumed_at', 'expires_at'])
        .where('model', '=', this.name)
        .where(column, '=', sha256(value))
        .executeTakeFirst()
      if (!row) return undefined
      if (row.expires_at && row.expires_at <= clock.now()) return undefined
      const { sealed } = row.payload as { sealed: string }
      const payload = JSON.parse(box.open(sealed, this.#context(row.id_hash))) as AdapterPayload
      return row.consumed_at
        ? { ...payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) }
        : payload
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      // Clients live in Tandem's partner registry, not in this store.
      if (this.name === 'Client') return findClientMetadata(db, id)
      return this.#findBy('id_hash', id)
    }

    findByUid(uid: string) {
      return this.#findBy('uid', uid)
    }

    findByUserCode(userCode: string) {
      return this.#findBy('user_code_hash', userCode)
    }

    /**
     * Marks a code or refresh token used, once. The provider checks `consumed` on the row it found and
     * then calls this, so two concurrent redemptions could both pass its check: only the one whose
     * update claims the row goes on. The other is a second use (RFC 6749 §4.1.2, RFC 9700 §4.14.2) and
     * is treated as the provider treats reuse: the whole grant is revoked.
     */
    async consume(id: string): Promise<void> {
      const idHash = sha256(id)
      const claimed = await db
        .updateTable('oidc_payloads')
        .set({ consumed_at: clock.now() })
        .where('model', '=', this.name)
        .where('id_hash', '=', idHash)
        .where('consumed_at', 'is', null)
        .returning('id_hash')
        .executeTakeFirst()
      if (claimed) return
      if (!GRANT_SOURCES.has(this.name)) throw new errors.InvalidRequest(`${this.name} already used`)
      const row = await db
        .selectFrom('oidc_payloads')
        .select('payload')
        .where('model', '=', this.name)
        .where('id_hash', '=', idHash)
        .executeTakeFirst()
      const { sealed } = (row?.payload ?? {}) as { sealed?: string }
      const grantId = sealed
        ? (JSON.parse(box.open(sealed, this.#context(idHash))) as AdapterPayload).grantId
        : undefined
      if (grantId) {
        await this.revokeByGrantId(grantId)
        await db
          .deleteFrom('oidc_payloads')
          .where('model', '=', 'Grant')
          .where('id_hash', '=', sha256(grantId))
          .execute()
      }
      throw new errors.InvalidGrant('grant already used')
    }

    async destroy(id: string): Promise<void> {
      await db
        .deleteFrom('oidc_payloads')
        .where('model', '=', this.name)
        .where('id_hash', '=', sha256(id))
        .execute()
      if (this.name === 'Grant') await this.#grantGone(id)
    }

    /** Called by the provider on code reuse, refresh-token reuse and revocation: everything of the grant dies. */
    async revokeByGrantId(grantId: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('grant_id', '=', sha256(grantId)).execute()
      await this.#grantGone(grantId)
    }

    async #grantGone(grantId: string) {
      // JWT access tokens are not stored: the resource server checks this row on every call.
      const marked = await markGrantRevoked(db, grantId, clock.now(), 'revoked_by_authorization_server')
      if (marked) {
        await announcePartnerStateChange(db, `grant:${grantId}`)
        onGrantRevoked?.(grantId)
      }
    }
  }
}

/** Deletes expired rows; run periodically. */
export async function purgeExpiredPayloads(db: Db, now: Date): Promise<number> {
  const result = await db.deleteFrom('oidc_payloads').where('expires_at', '<=', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}
