import { createHash } from 'node:crypto'
import type { RawBuilder, Selectable } from 'kysely'
import type { Clock } from '../../lib/clock.ts'
import type { Db, LedgerEntriesTable } from '../db.ts'
import { presentLedgerEntry } from './ledger.presenter.ts'
import {
  findLedgerHeads,
  insertLedgerEntries,
  insertLedgerEntryLocking,
  type LedgerRow,
  lockLedgers,
  selectLedgerChunk,
  selectLedgerPage,
} from './ledger.repository.ts'
import { LedgerEntryInput } from './ledger.schemas.ts'

export type LedgerEntry = Selectable<LedgerEntriesTable>

/** What a caller records about one partner call that touched one user's data. */
export interface LedgerEntryDraft {
  userId: string
  clientId: string
  scope: string
  action: string
  objectCount: number
  purpose: string
  details?: Record<string, unknown> | undefined
}

/** The `prev_hash` of each user's first entry. */
export const GENESIS_HASH = '0'.repeat(64)

/** Versions the encoding below; a new encoding gets a new tag, old entries keep verifying under theirs. */
const HASH_DOMAIN = 'tandem.ledger/1'

/**
 * JSON with object keys sorted by UTF-16 code units and ECMAScript number and string serialisation,
 * which is RFC 8785 (JCS) for the values a ledger holds: the same entry always hashes the same,
 * whatever key order jsonb hands back.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value)
    if (text === undefined) throw new TypeError(`${typeof value} is not representable in JSON`)
    return text
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const record = value as Record<string, unknown>
  const keys = Object.keys(record).sort()
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`
}

export interface HashedFields {
  userId: string
  seq: number
  clientId: string
  scope: string
  action: string
  objectCount: number
  purpose: string
  details: Record<string, unknown>
  createdAt: Date
  prevHash: string
}

/** SHA-256 (hex) over the domain tag and the canonical JSON of every column but the hash itself. */
export function ledgerHash(entry: HashedFields): string {
  const canonical = canonicalJson({
    action: entry.action,
    client_id: entry.clientId,
    created_at: entry.createdAt.toISOString(),
    details: entry.details,
    object_count: entry.objectCount,
    prev_hash: entry.prevHash,
    purpose: entry.purpose,
    scope: entry.scope,
    seq: entry.seq,
    user_id: entry.userId,
  })
  return createHash('sha256').update(`${HASH_DOMAIN}\n${canonical}`).digest('hex')
}

/** The hash a stored row should carry, recomputed from its columns. */
export function rowHash(row: LedgerEntry): string {
  return ledgerHash({
    userId: row.user_id,
    seq: row.seq,
    clientId: row.client_id,
    scope: row.scope,
    action: row.action,
    objectCount: row.object_count,
    purpose: row.purpose,
    details: row.details,
    createdAt: row.created_at,
    prevHash: row.prev_hash,
  })
}

function parseDraft(draft: LedgerEntryDraft) {
  const parsed = LedgerEntryInput.safeParse(draft)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    throw new Error(`invalid ledger entry (${issues})`)
  }
  const { details, ...rest } = parsed.data
  return {
    ...rest,
    // PostgreSQL prints uuids in lower case; the hash must be computed over what verification reads back.
    userId: rest.userId.toLowerCase(),
    // Round-tripped through JSON so the hash covers exactly what jsonb stores (no undefined, no Dates).
    details: JSON.parse(JSON.stringify(details ?? {})) as Record<string, unknown>,
  }
}

/**
 * Records one partner call in one user's ledger, inside the caller's transaction, so the entry
 * exists exactly when the effect it records does (privacy rule 3, SECURITY.md row 49).
 * Appends for the same user are serialised by a transaction-scoped lock; under REPEATABLE READ or
 * SERIALIZABLE a concurrent append surfaces as a unique violation or serialisation failure to retry.
 */
export async function appendLedgerEntry(
  trx: Db,
  clock: Clock,
  entry: LedgerEntryDraft,
): Promise<LedgerEntry> {
  const [row] = await appendLedgerEntries(trx, clock, [entry])
  return row!
}

/**
 * Records a partner call whose only write is its ledger entry (a read), and reads the user's display
 * name with it: the entry is committed before the caller answers, so nothing is disclosed
 * unrecorded. Usually one statement, outside any transaction; the long way (locks, heads, insert,
 * then the name) runs in a transaction of its own. Undefined when the user does not exist.
 */
export async function recordLedgerRead(
  db: Db,
  clock: Clock,
  entry: LedgerEntryDraft,
): Promise<{ entry: LedgerEntry; displayName: string } | undefined> {
  const draft = parseDraft(entry)
  const head = knownHeads.get(draft.userId)
  if (head) {
    const [row] = chain([draft], new Map([[draft.userId, head]]), clock.now())
    const written = await insertLedgerEntryLocking(db, row!, head, GENESIS_HASH)
    if (written) {
      knownHeads.set(written.user_id, { seq: Number(written.seq), hash: written.hash })
      const { user_display_name, ...stored } = written
      return user_display_name === null ? undefined : { entry: stored, displayName: user_display_name }
    }
  }
  const run = async (trx: Db) => {
    const user = await trx
      .selectFrom('users')
      .select('display_name')
      .where('id', '=', draft.userId)
      .executeTakeFirst()
    if (!user) return undefined
    return { entry: await appendLedgerEntry(trx, clock, entry), displayName: user.display_name }
  }
  return db.isTransaction ? run(db) : db.transaction().execute(run)
}

/** The users whose locks an append of `entries` takes, in the order it takes them. */
export const ledgerUsers = (entries: readonly LedgerEntryDraft[]): string[] =>
  [...new Set(entries.map((e) => e.userId.toLowerCase()))].sort()

/**
 * The last head this process wrote or read per user. Only a hint: an append that uses it inserts
 * only if every user's head is still the one remembered (another instance may have appended, or the
 * transaction that wrote it rolled back), and reads the heads when it is not.
 */
const knownHeads = new Map<string, { seq: number; hash: string }>()
const KNOWN_HEADS_MAX = 50_000

function chain(
  drafts: ReturnType<typeof parseDraft>[],
  heads: ReadonlyMap<string, { seq: number; hash: string }>,
  createdAt: Date,
): LedgerRow[] {
  const next = new Map(heads)
  return drafts.map((draft) => {
    const head = next.get(draft.userId) ?? { seq: 0, hash: GENESIS_HASH }
    const fields: HashedFields = { ...draft, seq: head.seq + 1, createdAt, prevHash: head.hash }
    const hash = ledgerHash(fields)
    next.set(draft.userId, { seq: fields.seq, hash })
    return { ...fields, hash }
  })
}

/**
 * Records several entries, possibly for several users, in one transaction. Locks are taken in
 * user-id order, so two batches naming the same users in any order cannot deadlock each other; a
 * transaction that appends for several users must do it in one call here, not one call per user.
 * Every insert holds the user's lock. One statement for one entry when this process knows the user's
 * head; two when it knows every user's head (the locks, then the insert guarded by those heads);
 * three otherwise (the locks, the heads, the insert).
 */
export async function appendLedgerEntries(
  trx: Db,
  clock: Clock,
  entries: readonly LedgerEntryDraft[],
  options: {
    locked?: boolean
    alongside?: RawBuilder<unknown> | readonly RawBuilder<unknown>[]
    /** CTE definitions the alongside statements read, put first (insertLedgerEntries). */
    ctes?: RawBuilder<unknown>
  } = {},
): Promise<LedgerEntry[]> {
  if (!trx.isTransaction) {
    throw new Error('ledger entries are appended inside the transaction of the effect they record')
  }
  if (entries.length === 0) return []
  const drafts = entries.map(parseDraft)
  const createdAt = clock.now()
  const single =
    drafts.length === 1 && !options.locked && !options.alongside && !options.ctes
      ? knownHeads.get(drafts[0]!.userId)
      : undefined
  if (single) {
    // One entry for a user whose head this process knows: lock and insert in one statement.
    const [row] = chain(drafts, new Map([[drafts[0]!.userId, single]]), createdAt)
    const written = await insertLedgerEntryLocking(trx, row!, single, GENESIS_HASH)
    if (written) {
      knownHeads.set(written.user_id, { seq: Number(written.seq), hash: written.hash })
      const { user_display_name: _, ...stored } = written
      return [stored]
    }
  }
  const userIds = ledgerUsers(entries)
  // The caller took them already in this transaction (lockLedgers, or inside one of its own statements).
  if (!options.locked) await lockLedgers(trx, userIds)
  let inserted: LedgerEntry[] = []
  const remembered = new Map<string, { seq: number; hash: string }>()
  for (const userId of userIds) {
    const head = knownHeads.get(userId)
    if (!head) break
    remembered.set(userId, head)
  }
  // The caller's `alongside` statements ride on the first insert, whether or not that one inserts.
  let { alongside, ctes } = options
  if (remembered.size === userIds.length) {
    inserted = await insertLedgerEntries(
      trx,
      chain(drafts, remembered, createdAt),
      { heads: remembered, genesis: GENESIS_HASH },
      alongside,
      ctes,
    )
    alongside = undefined
    ctes = undefined
  }
  if (inserted.length === 0) {
    const heads = await findLedgerHeads(trx, userIds)
    for (const userId of userIds) if (!heads.has(userId)) heads.set(userId, { seq: 0, hash: GENESIS_HASH })
    inserted = await insertLedgerEntries(trx, chain(drafts, heads, createdAt), undefined, alongside, ctes)
  }
  if (knownHeads.size >= KNOWN_HEADS_MAX) knownHeads.clear()
  for (const row of inserted) knownHeads.set(row.user_id, { seq: Number(row.seq), hash: row.hash })
  return inserted
}

export type LedgerBreak = 'hash_mismatch' | 'chain_broken' | 'gap'

export type LedgerVerification =
  | { ok: true; entries: number; head: string | null }
  | { ok: false; entries: number; brokenAt: { seq: number; reason: LedgerBreak } }

const CHUNK = 1000

function checkRow(row: LedgerEntry, expectedSeq: number, prevHash: string): LedgerBreak | undefined {
  // Rows come in seq order under the primary key, so a seq other than the next one is a missing row
  // (or, before seq 1, a row that cannot belong to the chain).
  if (row.seq !== expectedSeq) return row.seq > expectedSeq ? 'gap' : 'chain_broken'
  if (row.prev_hash !== prevHash) return 'chain_broken'
  if (row.hash !== rowHash(row)) return 'hash_mismatch'
  return undefined
}

/**
 * Walks a user's ledger from seq 1 and names the first row where it stops holding together:
 * `hash_mismatch` (the row's columns were edited), `gap` (rows before it were deleted), or
 * `chain_broken` (it does not follow from the row before: that row was replaced, re-hashed or reordered).
 *
 * What a bare hash chain cannot show: the newest entries being deleted, or the head row being
 * edited and re-hashed (nothing after it points at it), or the whole chain being rewritten by someone
 * who can write the table, since the hash is unkeyed. Those need an anchor kept outside this table,
 * such as the `head` and `entries` a user saw earlier: a later `head` for the same count, or a
 * smaller count, shows the tampering.
 */
export async function verifyLedger(db: Db, userId: string): Promise<LedgerVerification> {
  let entries = 0
  let expectedSeq = 1
  let prevHash = GENESIS_HASH
  let brokenAt: { seq: number; reason: LedgerBreak } | undefined
  let afterSeq: number | undefined
  for (;;) {
    const chunk = await selectLedgerChunk(db, userId, { afterSeq, limit: CHUNK })
    for (const row of chunk) {
      entries += 1
      if (!brokenAt) {
        const reason = checkRow(row, expectedSeq, prevHash)
        if (reason) brokenAt = { seq: row.seq, reason }
      }
      expectedSeq = row.seq + 1
      prevHash = row.hash
    }
    const last = chunk.at(-1)
    if (chunk.length < CHUNK || !last) break
    afterSeq = last.seq
  }
  if (brokenAt) return { ok: false, entries, brokenAt }
  return { ok: true, entries, head: entries > 0 ? prevHash : null }
}

/** One page of a user's ledger, newest first; pass `nextCursor` back as `before` for the older page. */
export async function listLedger(
  db: Db,
  userId: string,
  options: { clientId?: string | undefined; limit: number; before?: number | undefined },
) {
  const rows = await selectLedgerPage(db, userId, {
    clientId: options.clientId,
    beforeSeq: options.before,
    limit: options.limit + 1,
  })
  const page = rows.slice(0, options.limit)
  const last = page.at(-1)
  return {
    entries: page.map(presentLedgerEntry),
    nextCursor: rows.length > options.limit && last ? String(last.seq) : null,
  }
}

/** Every entry of a user's ledger (optionally one partner's), in chain order, oldest first. */
export async function exportLedger(
  db: Db,
  userId: string,
  options: { clientId?: string | undefined } = {},
): Promise<LedgerEntry[]> {
  const rows: LedgerEntry[] = []
  let afterSeq: number | undefined
  for (;;) {
    const chunk = await selectLedgerChunk(db, userId, { clientId: options.clientId, afterSeq, limit: CHUNK })
    rows.push(...chunk)
    const last = chunk.at(-1)
    if (chunk.length < CHUNK || !last) return rows
    afterSeq = last.seq
  }
}
