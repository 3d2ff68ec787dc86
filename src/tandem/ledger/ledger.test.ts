import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { InjectOptions } from 'fastify'
import { sql } from 'kysely'
import { ManualClock } from '../../lib/clock.ts'
import { createTestDatabase } from '../../lib/testing/test-db.ts'
import { signUp } from '../accounts/accounts.service.ts'
import { buildTandemApp } from '../app.ts'
import { testTandemConfig } from '../config.ts'
import type { Db, TandemDatabase } from '../db.ts'
import { migrations } from '../migrations/index.ts'
import { insertFriendship } from '../social/social.repository.ts'
import { sessionCookieFrom } from '../testing.ts'
import { insertLedgerEntries } from './ledger.repository.ts'
import { registerLedgerRoutes } from './ledger.routes.ts'
import {
  appendLedgerEntries,
  appendLedgerEntry,
  GENESIS_HASH,
  type LedgerEntryDraft,
  ledgerHash,
  recordLedgerRead,
  rowHash,
  verifyLedger,
} from './ledger.service.ts'

/** Like makeTandem, but registers the ledger routes before the app is ready. */
async function makeLedgerTandem() {
  const database = await createTestDatabase<TandemDatabase>('tandem', migrations)
  const clock = new ManualClock('2026-03-01T09:00:00Z')
  const config = testTandemConfig({ loginRateLimit: { max: 1000, windowMs: 60_000 } })
  const { app, ctx } = await buildTandemApp({ config, database, clock })
  // Once app.ts registers these routes itself, registering them again would be a duplicate.
  if (!app.hasRoute({ method: 'GET', url: '/api/ledger' })) registerLedgerRoutes(app, ctx)
  await app.ready()
  let counter = 0
  return {
    app,
    db: database.db,
    clock,
    async close() {
      await app.close()
      await database.drop()
    },
    async makeUser() {
      counter += 1
      const username = `ledger${counter}_${Math.random().toString(36).slice(2, 8)}`
      const password = 'correct horse battery'
      const user = await signUp(database.db, { username, displayName: `User ${counter}`, password })
      const res = await app.inject({ method: 'POST', url: '/api/login', payload: { username, password } })
      assert.equal(res.statusCode, 200)
      return { ...user, cookie: sessionCookieFrom(res) }
    },
    as(user: { cookie: string }, options: InjectOptions) {
      return app.inject({ ...options, headers: { ...options.headers, cookie: user.cookie } })
    },
  }
}

let t: Awaited<ReturnType<typeof makeLedgerTandem>>
before(async () => {
  t = await makeLedgerTandem()
})
after(() => t.close())

const draft = (userId: string, overrides: Partial<LedgerEntryDraft> = {}): LedgerEntryDraft => ({
  userId,
  clientId: 'marquee',
  scope: 'recommendations.send',
  action: 'recommendation.sent',
  objectCount: 1,
  purpose: 'send a recommendation you chose',
  ...overrides,
})

/** Appends each draft in its own committed transaction, moving the clock a second each time. */
async function appendEach(drafts: LedgerEntryDraft[]) {
  for (const d of drafts) {
    t.clock.advance(1000)
    await t.db.transaction().execute((trx) => appendLedgerEntry(trx, t.clock, d))
  }
}

const entriesOf = (userId: string) =>
  t.db.selectFrom('ledger_entries').selectAll().where('user_id', '=', userId).orderBy('seq').execute()

/** Runs a change the append-only trigger would refuse, as an attacker with table access could. */
async function tamper(change: (db: Db) => Promise<unknown>) {
  await sql`alter table ledger_entries disable trigger ledger_entries_append_only`.execute(t.db)
  try {
    await change(t.db)
  } finally {
    await sql`alter table ledger_entries enable trigger ledger_entries_append_only`.execute(t.db)
  }
}

const row = (userId: string, seq: number) =>
  t.db.updateTable('ledger_entries').where('user_id', '=', userId).where('seq', '=', seq)

describe('appending', () => {
  test('N appends give exactly N rows, chained from the genesis value, and verify (SECURITY row 49)', async () => {
    const user = await t.makeUser()
    const n = 7
    await appendEach(
      Array.from({ length: n }, (_, i) =>
        draft(user.id, {
          objectCount: i,
          // jsonb hands keys back in its own order; the hash must not depend on it.
          details: { zeta: i, alpha: { y: [1, 'two', null], x: 'é ✓' }, recipients: n - i },
        }),
      ),
    )
    const rows = await entriesOf(user.id)
    assert.deepEqual(
      rows.map((r) => r.seq),
      [1, 2, 3, 4, 5, 6, 7],
    )
    assert.equal(rows[0]!.prev_hash, GENESIS_HASH)
    for (const [i, r] of rows.entries()) {
      assert.match(r.hash, /^[0-9a-f]{64}$/)
      assert.equal(r.hash, rowHash(r), `seq ${r.seq} hashes to what is stored`)
      if (i > 0) assert.equal(r.prev_hash, rows[i - 1]!.hash, `seq ${r.seq} points at the one before`)
    }
    assert.equal(new Set(rows.map((r) => r.hash)).size, n)
    assert.deepEqual(await verifyLedger(t.db, user.id), { ok: true, entries: n, head: rows[n - 1]!.hash })
  })

  test('an empty ledger verifies, with no head', async () => {
    const user = await t.makeUser()
    assert.deepEqual(await verifyLedger(t.db, user.id), { ok: true, entries: 0, head: null })
  })

  test('a batch for several users keeps each chain in the order given', async () => {
    const a = await t.makeUser()
    const b = await t.makeUser()
    await appendEach([draft(b.id)])
    const rows = await t.db
      .transaction()
      .execute((trx) =>
        appendLedgerEntries(trx, t.clock, [
          draft(a.id, { action: 'first' }),
          draft(b.id, { action: 'for b' }),
          draft(a.id, { action: 'second' }),
        ]),
      )
    assert.deepEqual(
      rows.map((r) => [r.user_id, r.seq, r.action]),
      [
        [a.id, 1, 'first'],
        [b.id, 2, 'for b'],
        [a.id, 2, 'second'],
      ],
    )
    assert.equal((await verifyLedger(t.db, a.id)).ok, true)
    assert.deepEqual(await verifyLedger(t.db, b.id), { ok: true, entries: 2, head: rows[1]!.hash })
  })

  test('refuses to append outside a transaction, and refuses malformed entries', async () => {
    const user = await t.makeUser()
    await assert.rejects(appendLedgerEntry(t.db, t.clock, draft(user.id)), {
      message: 'ledger entries are appended inside the transaction of the effect they record',
    })
    await assert.rejects(
      t.db
        .transaction()
        .execute((trx) =>
          appendLedgerEntry(trx, t.clock, draft(user.id, { objectCount: -1, clientId: 'bad id' })),
        ),
      {
        message:
          'invalid ledger entry (clientId: letters, digits, dot, underscore and hyphen only; ' +
          'objectCount: Too small: expected number to be >=0)',
      },
    )
    assert.deepEqual(await entriesOf(user.id), [])
  })

  test('a transaction that fails after appending leaves neither the effect nor the entry (SECURITY row 49)', async () => {
    const ana = await t.makeUser()
    const ben = await t.makeUser()
    await assert.rejects(
      t.db.transaction().execute(async (trx) => {
        await insertFriendship(trx, ana.id, ben.id, t.clock.now())
        await appendLedgerEntry(trx, t.clock, draft(ana.id, { scope: 'friends.app', action: 'friends.read' }))
        throw new Error('the partner call failed after its effect')
      }),
      { message: 'the partner call failed after its effect' },
    )
    assert.deepEqual(await entriesOf(ana.id), [])
    assert.equal(
      (await t.db.selectFrom('friendships').select('user_id').where('user_id', '=', ana.id).execute()).length,
      0,
    )
    // The next successful call starts the chain at seq 1: nothing of the failed one was kept.
    await appendEach([draft(ana.id)])
    assert.deepEqual(
      (await entriesOf(ana.id)).map((r) => [r.seq, r.prev_hash]),
      [[1, GENESIS_HASH]],
    )
  })

  test('an entry another server appended is chained from, though this process remembered an older head', async () => {
    const user = await t.makeUser()
    await appendEach([draft(user.id), draft(user.id)])
    const [, second] = await entriesOf(user.id)
    // Another instance appends seq 3 (this process's remembered head is still seq 2).
    t.clock.advance(1000)
    const fields = {
      ...draft(user.id, { details: {} }),
      details: {},
      seq: 3,
      createdAt: t.clock.now(),
      prevHash: second!.hash,
    }
    await t.db
      .transaction()
      .execute((trx) => insertLedgerEntries(trx, [{ ...fields, hash: ledgerHash(fields) }]))
    await appendEach([draft(user.id)])
    const rows = await entriesOf(user.id)
    assert.deepEqual(
      rows.map((r) => r.seq),
      [1, 2, 3, 4],
    )
    assert.equal(rows[3]!.prev_hash, rows[2]!.hash)
    assert.equal((await verifyLedger(t.db, user.id)).ok, true)
  })

  test('an effect riding on the insert runs once, also when a stale head sends the append the long way', async () => {
    const user = await t.makeUser()
    const friend = await t.makeUser()
    await appendEach([draft(user.id), draft(friend.id)])
    // Another server appends for the user: this process's remembered head is stale.
    const [first] = await entriesOf(user.id)
    const fields = { ...draft(user.id), details: {}, seq: 2, createdAt: t.clock.now(), prevHash: first!.hash }
    await t.db
      .transaction()
      .execute((trx) => insertLedgerEntries(trx, [{ ...fields, hash: ledgerHash(fields) }]))
    await t.db.transaction().execute((trx) =>
      appendLedgerEntries(trx, t.clock, [draft(user.id), draft(friend.id)], {
        alongside: sql`insert into friendships (user_id, friend_id, created_at)
          values (${user.id}::uuid, ${friend.id}::uuid, ${t.clock.now().toISOString()}::timestamptz)`,
      }),
    )
    const friendships = await t.db
      .selectFrom('friendships')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute()
    assert.equal(friendships.length, 1)
    assert.deepEqual(
      (await entriesOf(user.id)).map((r) => r.seq),
      [1, 2, 3],
    )
    assert.equal((await verifyLedger(t.db, user.id)).ok, true)
    assert.equal((await verifyLedger(t.db, friend.id)).ok, true)
  })

  test('the database refuses UPDATE and DELETE on ledger entries (SECURITY row 49)', async () => {
    const user = await t.makeUser()
    await appendEach([draft(user.id)])
    await assert.rejects(row(user.id, 1).set({ object_count: 99 }).execute(), {
      message: 'ledger_entries is append-only',
    })
    await assert.rejects(t.db.deleteFrom('ledger_entries').where('user_id', '=', user.id).execute(), {
      message: 'ledger_entries is append-only',
    })
    const [kept] = await entriesOf(user.id)
    assert.equal(kept?.object_count, 1)
    assert.equal((await verifyLedger(t.db, user.id)).ok, true)
  })
})

describe('verification catches tampering (SECURITY row 49)', () => {
  async function ledgerOf(n: number) {
    const user = await t.makeUser()
    await appendEach(Array.from({ length: n }, (_, i) => draft(user.id, { objectCount: i + 1 })))
    return user
  }

  test('an edited row fails its own hash, named by seq', async () => {
    const user = await ledgerOf(5)
    await tamper(() => row(user.id, 3).set({ object_count: 0 }).execute())
    assert.deepEqual(await verifyLedger(t.db, user.id), {
      ok: false,
      entries: 5,
      brokenAt: { seq: 3, reason: 'hash_mismatch' },
    })
  })

  test('edited details or purpose are caught the same way', async () => {
    const user = await ledgerOf(3)
    await tamper(() =>
      row(user.id, 2)
        .set({ details: JSON.stringify({ note: 'nothing to see' }) })
        .execute(),
    )
    assert.deepEqual(await verifyLedger(t.db, user.id), {
      ok: false,
      entries: 3,
      brokenAt: { seq: 2, reason: 'hash_mismatch' },
    })
  })

  test('a deleted middle row shows as a gap at the next seq', async () => {
    const user = await ledgerOf(5)
    await tamper(() =>
      t.db.deleteFrom('ledger_entries').where('user_id', '=', user.id).where('seq', '=', 3).execute(),
    )
    assert.deepEqual(await verifyLedger(t.db, user.id), {
      ok: false,
      entries: 4,
      brokenAt: { seq: 4, reason: 'gap' },
    })
  })

  test('a deleted first row shows as a gap at seq 2', async () => {
    const user = await ledgerOf(3)
    await tamper(() =>
      t.db.deleteFrom('ledger_entries').where('user_id', '=', user.id).where('seq', '=', 1).execute(),
    )
    assert.deepEqual(await verifyLedger(t.db, user.id), {
      ok: false,
      entries: 2,
      brokenAt: { seq: 2, reason: 'gap' },
    })
  })

  test('a middle row edited and re-hashed breaks the chain at the row after it', async () => {
    const user = await ledgerOf(5)
    const [, , third] = await entriesOf(user.id)
    await tamper(() =>
      row(user.id, 3)
        .set({ object_count: 0, hash: rowHash({ ...third!, object_count: 0 }) })
        .execute(),
    )
    assert.deepEqual(await verifyLedger(t.db, user.id), {
      ok: false,
      entries: 5,
      brokenAt: { seq: 4, reason: 'chain_broken' },
    })
  })

  test('a row replaced by a well-formed forgery breaks the chain at the row after it', async () => {
    const user = await ledgerOf(4)
    const [, second] = await entriesOf(user.id)
    const forged = {
      userId: user.id,
      seq: 2,
      clientId: 'marquee',
      scope: 'recommendations.send',
      action: 'recommendation.sent',
      objectCount: 0,
      purpose: 'nothing happened',
      details: {},
      createdAt: second!.created_at,
      prevHash: second!.prev_hash,
    }
    await tamper(() =>
      row(user.id, 2)
        .set({ purpose: forged.purpose, object_count: 0, details: '{}', hash: ledgerHash(forged) })
        .execute(),
    )
    assert.deepEqual(await verifyLedger(t.db, user.id), {
      ok: false,
      entries: 4,
      brokenAt: { seq: 3, reason: 'chain_broken' },
    })
  })

  test('two rows swapped in order are caught at the first of them', async () => {
    const user = await ledgerOf(4)
    await tamper(async (db) => {
      await row(user.id, 2).set({ seq: 1000 }).execute()
      await row(user.id, 3).set({ seq: 2 }).execute()
      await row(user.id, 1000).set({ seq: 3 }).execute()
      return db
    })
    assert.deepEqual(await verifyLedger(t.db, user.id), {
      ok: false,
      entries: 4,
      brokenAt: { seq: 2, reason: 'chain_broken' },
    })
  })

  test('the head row: an edit is caught, an edit with a re-computed hash only against a remembered head', async () => {
    const user = await ledgerOf(4)
    const before = await verifyLedger(t.db, user.id)
    assert.equal(before.ok, true)

    // Editing the newest row without fixing its hash is caught like any other row.
    await tamper(() => row(user.id, 4).set({ object_count: 40 }).execute())
    assert.deepEqual(await verifyLedger(t.db, user.id), {
      ok: false,
      entries: 4,
      brokenAt: { seq: 4, reason: 'hash_mismatch' },
    })

    // Re-hashing it too: no later row points at the head, so a bare chain has nothing to compare
    // with and verifies. Only an anchor kept elsewhere shows it: the head the user saw before, for
    // the same number of entries, has changed. (Deleting the newest rows is the same case: the count
    // shrinks.) Storing anything more in this table would not help, since whoever can rewrite the
    // head row can rewrite that too.
    const [, , , fourth] = await entriesOf(user.id)
    await tamper(() =>
      row(user.id, 4)
        .set({ hash: rowHash(fourth!) })
        .execute(),
    )
    const after = await verifyLedger(t.db, user.id)
    assert.equal(after.ok, true)
    assert.equal(after.entries, 4)
    assert.ok(before.ok && after.ok && after.head !== before.head, 'the head moved under the same count')
  })
})

describe('concurrent appends', () => {
  const onPostgres = process.env.TEST_DATABASE_URL ? false : 'needs PostgreSQL: set TEST_DATABASE_URL'

  test('50 parallel transactions for one user keep a gap-free, valid chain', {
    skip: onPostgres,
  }, async () => {
    const user = await t.makeUser()
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.db.transaction().execute(async (trx) => {
          await appendLedgerEntry(trx, t.clock, draft(user.id, { objectCount: i }))
          // Hold the lock across another statement, as a partner call would while doing its work.
          await sql`select pg_sleep(0.002)`.execute(trx)
        }),
      ),
    )
    const rows = await entriesOf(user.id)
    assert.deepEqual(
      rows.map((r) => r.seq),
      Array.from({ length: 50 }, (_, i) => i + 1),
    )
    assert.deepEqual(
      rows.map((r) => r.object_count).sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => i),
    )
    assert.deepEqual(await verifyLedger(t.db, user.id), { ok: true, entries: 50, head: rows[49]!.hash })
  })

  test('reads recorded in one statement, transactions and batches, all in parallel, keep one valid chain', {
    skip: onPostgres,
  }, async () => {
    const user = await t.makeUser()
    const other = await t.makeUser()
    await appendEach([draft(user.id)]) // this process now knows the head
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 3 === 0
          ? recordLedgerRead(t.db, t.clock, draft(user.id, { objectCount: i }))
          : i % 3 === 1
            ? t.db.transaction().execute(async (trx) => {
                await appendLedgerEntry(trx, t.clock, draft(user.id, { objectCount: i }))
                await sql`select pg_sleep(0.002)`.execute(trx)
              })
            : t.db
                .transaction()
                .execute((trx) =>
                  appendLedgerEntries(trx, t.clock, [
                    draft(other.id, { objectCount: i }),
                    draft(user.id, { objectCount: i }),
                  ]),
                ),
      ),
    )
    const rows = await entriesOf(user.id)
    assert.deepEqual(
      rows.map((r) => r.seq),
      Array.from({ length: 61 }, (_, i) => i + 1),
    )
    assert.equal((await verifyLedger(t.db, user.id)).ok, true)
    assert.equal((await verifyLedger(t.db, other.id)).ok, true)
  })

  test('a read is recorded in one statement when the head is known, and the long way otherwise', async () => {
    const user = await t.makeUser()
    const first = await recordLedgerRead(t.db, t.clock, draft(user.id, { action: 'profile.read' }))
    const second = await recordLedgerRead(t.db, t.clock, draft(user.id, { action: 'profile.read' }))
    assert.deepEqual([first?.entry.seq, second?.entry.seq], [1, 2])
    assert.equal(second?.entry.prev_hash, first?.entry.hash)
    assert.equal(second?.displayName, first?.displayName)
    assert.equal(typeof second?.displayName, 'string')
    assert.equal(Object.hasOwn(second!.entry, 'user_display_name'), false)
    assert.equal((await verifyLedger(t.db, user.id)).ok, true)
  })

  test('parallel batches naming two users in opposite orders do not deadlock', {
    skip: onPostgres,
  }, async () => {
    const a = await t.makeUser()
    const b = await t.makeUser()
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.db
          .transaction()
          .execute((trx) =>
            appendLedgerEntries(
              trx,
              t.clock,
              i % 2 ? [draft(a.id), draft(b.id)] : [draft(b.id), draft(a.id)],
            ),
          ),
      ),
    )
    for (const user of [a, b]) {
      assert.deepEqual(await verifyLedger(t.db, user.id), {
        ok: true,
        entries: 20,
        head: (await entriesOf(user.id))[19]!.hash,
      })
    }
  })
})

/** A minimal RFC 4180 reader, to check the export parses back into the same cells. */
function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      record.push(field)
      field = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field)
      records.push(record)
      record = []
      field = ''
      i++
    } else field += c
  }
  assert.equal(quoted, false, 'no field left open')
  assert.deepEqual(record, [], 'the last record ends with CRLF')
  assert.equal(field, '')
  return records
}

describe('routes', () => {
  const get = (user: { cookie: string }, url: string) => t.as(user, { method: 'GET', url })

  test('each user sees only their own entries, per partner or across partners', async () => {
    const ana = await t.makeUser()
    const ben = await t.makeUser()
    await appendEach([
      draft(ana.id, { objectCount: 2, details: { recipients: 2 } }),
      draft(ben.id),
      draft(ana.id, { clientId: 'other-app', scope: 'friends.app', action: 'friends.read', objectCount: 12 }),
    ])
    const [anaFirst] = await entriesOf(ana.id)

    const all = await get(ana, '/api/ledger')
    assert.equal(all.statusCode, 200)
    assert.deepEqual(
      all.json().entries.map((e: { seq: number; clientId: string }) => [e.seq, e.clientId]),
      [
        [2, 'other-app'],
        [1, 'marquee'],
      ],
    )
    assert.deepEqual(all.json().entries[1], {
      id: '1',
      seq: 1,
      clientId: 'marquee',
      scope: 'recommendations.send',
      action: 'recommendation.sent',
      objectCount: 2,
      purpose: 'send a recommendation you chose',
      details: { recipients: 2 },
      createdAt: anaFirst!.created_at.toISOString(),
      hash: anaFirst!.hash,
      prevHash: GENESIS_HASH,
    })
    assert.equal(all.json().nextCursor, null)

    const marquee = await get(ana, '/api/connected-apps/marquee/ledger')
    assert.deepEqual(
      marquee.json().entries.map((e: { seq: number }) => e.seq),
      [1],
    )
    const bens = await get(ben, '/api/connected-apps/marquee/ledger')
    assert.equal(bens.statusCode, 200)
    assert.deepEqual(
      bens.json().entries.map((e: { seq: number; objectCount: number }) => [e.seq, e.objectCount]),
      [[1, 1]],
    )
    assert.deepEqual((await get(ben, '/api/connected-apps/other-app/ledger')).json(), {
      entries: [],
      nextCursor: null,
    })
    // There is no way to name another user's ledger: a user id where a client id goes is just an
    // unknown partner in one's own ledger.
    assert.deepEqual((await get(ben, `/api/connected-apps/${ana.id}/ledger`)).json(), {
      entries: [],
      nextCursor: null,
    })
    assert.deepEqual((await get(ben, `/api/ledger?userId=${ana.id}`)).json(), {
      error: {
        code: 'validation_failed',
        message: 'request is not valid',
        details: [{ path: '', code: 'unrecognized_keys', message: 'Unrecognized key: "userId"' }],
      },
    })
  })

  test('pages newest first with a cursor', async () => {
    const user = await t.makeUser()
    await appendEach(Array.from({ length: 5 }, () => draft(user.id)))
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const url: string = `/api/ledger?limit=2${cursor ? `&before=${cursor}` : ''}`
      const page = (await get(user, url)).json()
      seen.push(...page.entries.map((e: { seq: number }) => e.seq))
      cursor = page.nextCursor
    } while (cursor)
    assert.deepEqual(seen, [5, 4, 3, 2, 1])

    const bad = await get(user, '/api/ledger?before=soon')
    assert.equal(bad.statusCode, 400)
    assert.deepEqual(bad.json(), {
      error: {
        code: 'validation_failed',
        message: 'request is not valid',
        details: [
          { path: 'before', code: 'invalid_type', message: 'Invalid input: expected number, received NaN' },
        ],
      },
    })
  })

  test('client ids are validated', async () => {
    const user = await t.makeUser()
    const spaced = await get(user, '/api/connected-apps/bad%20id/ledger')
    assert.equal(spaced.statusCode, 400)
    assert.deepEqual(spaced.json(), {
      error: {
        code: 'validation_failed',
        message: 'request is not valid',
        details: [
          {
            path: 'clientId',
            code: 'invalid_format',
            message: 'letters, digits, dot, underscore and hyphen only',
          },
        ],
      },
    })
    const long = await get(user, `/api/connected-apps/${'a'.repeat(101)}/ledger`)
    assert.equal(long.statusCode, 400)
    assert.deepEqual(long.json(), {
      error: {
        code: 'validation_failed',
        message: 'request is not valid',
        details: [
          { path: 'clientId', code: 'too_big', message: 'Too big: expected string to have <=100 characters' },
        ],
      },
    })
  })

  test('logged out: 401 on every ledger route', async () => {
    for (const url of [
      '/api/ledger',
      '/api/ledger?format=csv',
      '/api/ledger/verify',
      '/api/connected-apps/marquee/ledger',
    ]) {
      const res = await t.app.inject({ method: 'GET', url })
      assert.equal(res.statusCode, 401, url)
      assert.deepEqual(res.json(), { error: { code: 'unauthenticated', message: 'log in first' } })
    }
  })

  test('CSV export is RFC 4180 and defuses formulas', async () => {
    const user = await t.makeUser()
    const other = await t.makeUser()
    const purpose = '=HYPERLINK("https://evil.example","click me")'
    await appendEach([
      draft(user.id, {
        purpose,
        scope: 'recommendations.send, friends.app',
        action: '@SUM(A1)',
        details: { note: 'line one\r\nline "two"', minus: '-1' },
      }),
      draft(user.id, { purpose: '+ten', action: '-drop' }),
      draft(user.id, { clientId: 'other-app' }),
      draft(other.id, { purpose: 'someone else' }),
    ])
    const res = await get(user, '/api/connected-apps/marquee/ledger?format=csv')
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8')
    assert.equal(res.headers['content-disposition'], 'attachment; filename="tandem-ledger-marquee.csv"')
    assert.equal(res.headers['cache-control'], 'no-store')
    assert.ok(res.body.includes('"\'=HYPERLINK(""https://evil.example"",""click me"")"'))
    const [header, ...records] = parseCsv(res.body)
    assert.deepEqual(header, [
      'seq',
      'createdAt',
      'clientId',
      'scope',
      'action',
      'objectCount',
      'purpose',
      'details',
      'prevHash',
      'hash',
    ])
    const rows = await entriesOf(user.id)
    assert.deepEqual(records, [
      [
        '1',
        rows[0]!.created_at.toISOString(),
        'marquee',
        'recommendations.send, friends.app',
        "'@SUM(A1)",
        '1',
        `'${purpose}`,
        JSON.stringify(rows[0]!.details),
        GENESIS_HASH,
        rows[0]!.hash,
      ],
      [
        '2',
        rows[1]!.created_at.toISOString(),
        'marquee',
        'recommendations.send',
        "'-drop",
        '1',
        "'+ten",
        '{}',
        rows[0]!.hash,
        rows[1]!.hash,
      ],
    ])
    assert.deepEqual(JSON.parse(records[0]![7]!), { note: 'line one\r\nline "two"', minus: '-1' })

    const everything = await get(user, '/api/ledger?format=csv')
    assert.equal(everything.headers['content-disposition'], 'attachment; filename="tandem-ledger.csv"')
    assert.deepEqual(
      parseCsv(everything.body)
        .slice(1)
        .map((r) => [r[0], r[2]]),
      [
        ['1', 'marquee'],
        ['2', 'marquee'],
        ['3', 'other-app'],
      ],
    )
  })

  test('JSON export carries everything needed to re-check the chain elsewhere', async () => {
    const user = await t.makeUser()
    await appendEach([
      draft(user.id, { details: { b: 1, a: [true] } }),
      draft(user.id, { clientId: 'other-app' }),
    ])
    const res = await get(user, '/api/ledger?format=json')
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['content-disposition'], 'attachment; filename="tandem-ledger.json"')
    assert.match(String(res.headers['content-type']), /^application\/json/)
    const body = res.json()
    assert.equal(body.userId, user.id)
    assert.equal(body.exportedAt, t.clock.now().toISOString())
    let prevHash = GENESIS_HASH
    for (const e of body.entries) {
      assert.equal(e.prevHash, prevHash)
      assert.equal(
        ledgerHash({ ...e, userId: body.userId, createdAt: new Date(e.createdAt) }),
        e.hash,
        `seq ${e.seq} re-hashes from the export alone`,
      )
      prevHash = e.hash
    }
    assert.deepEqual(
      body.entries.map((e: { seq: number }) => e.seq),
      [1, 2],
    )
  })

  test('verify answers for the signed-in user only', async () => {
    const ana = await t.makeUser()
    const ben = await t.makeUser()
    await appendEach([draft(ana.id), draft(ana.id), draft(ana.id), draft(ben.id)])
    const rows = await entriesOf(ana.id)
    const ok = await get(ana, '/api/ledger/verify')
    assert.equal(ok.statusCode, 200)
    assert.deepEqual(ok.json(), { ok: true, entries: 3, head: rows[2]!.hash })

    await tamper(() => row(ana.id, 2).set({ scope: 'friends.suggest' }).execute())
    assert.deepEqual((await get(ana, '/api/ledger/verify')).json(), {
      ok: false,
      entries: 3,
      brokenAt: { seq: 2, reason: 'hash_mismatch' },
    })
    const bens = (await get(ben, '/api/ledger/verify')).json()
    assert.equal(bens.ok, true)
    assert.equal(bens.entries, 1)
  })
})
