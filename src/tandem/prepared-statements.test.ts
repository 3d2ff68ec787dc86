import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { sql } from 'kysely'
import { createTestDatabase, type TestDatabase } from '../lib/testing/test-db.ts'
import type { TandemDatabase } from './db.ts'
import { migrations } from './migrations/index.ts'

// On PostgreSQL the pool runs parameterised statements as named prepared statements (src/lib/db.ts).

let database: TestDatabase<TandemDatabase>

before(async () => {
  database = await createTestDatabase<TandemDatabase>('tandem', migrations)
})
after(() => database.drop())

test('a prepared select * keeps working after its table gains a column (another instance migrated)', async () => {
  const { db } = database
  await sql`create table scratch_rows (id int primary key, name text not null)`.execute(db)
  await sql`insert into scratch_rows values (1, 'one')`.execute(db)
  const read = () => sql<Record<string, unknown>>`select * from scratch_rows where id = ${1}`.execute(db)
  for (let i = 0; i < 3; i++) assert.deepEqual((await read()).rows, [{ id: 1, name: 'one' }])
  await sql`alter table scratch_rows add column note text not null default 'added'`.execute(db)
  // PostgreSQL refuses a prepared statement whose result columns changed; at most the first call fails.
  await read().catch((error: Error) => assert.match(error.message, /cached plan must not change result type/))
  assert.deepEqual((await read()).rows, [{ id: 1, name: 'one', note: 'added' }])
  assert.deepEqual((await read()).rows, [{ id: 1, name: 'one', note: 'added' }])
})

test('statements that differ only in their parameters share one prepared statement and answer for their own', async () => {
  const { db } = database
  const names = await Promise.all(
    [1, 2, 3].map((n) => sql<{ v: number }>`select ${n}::int * 10 as v`.execute(db)),
  )
  assert.deepEqual(
    names.map((r) => r.rows[0]!.v),
    [10, 20, 30],
  )
})
