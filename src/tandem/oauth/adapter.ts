import type { Adapter, AdapterPayload } from 'oidc-provider'
import type { Clock } from '../../lib/clock.ts'
import { sha256 } from '../../lib/ids.ts'
import type { SecretBox } from '../../lib/secret-box.ts'
import type { Db } from '../db.ts'
import { announcePartnerStateChange } from '../partner-api/state-changes.ts'
import { findClientMetadata } from './clients.ts'
import { markGrantRevoked } from './grants.repository.ts'

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

    async consume(id: string): Promise<void> {
      await db
        .updateTable('oidc_payloads')
        .set({ consumed_at: clock.now() })
        .where('model', '=', this.name)
        .where('id_hash', '=', sha256(id))
        .execute()
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
