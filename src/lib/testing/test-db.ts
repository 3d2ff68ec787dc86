import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect } from 'kysely'
import pg from 'pg'
import { type Database, openDb } from '../db.ts'
import { randomToken } from '../ids.ts'
import { type Migrations, migrateToLatest, migrationsFingerprint } from '../migrate.ts'

const CACHE_DIR = join(import.meta.dirname, '../../../.test-cache')

export interface TestDatabase<DB> extends Database<DB> {
  /** Closes and deletes this test's database. */
  drop(): Promise<void>
}

/**
 * A fresh database for one test file, cloned from a template migrated once per migration set:
 * PostgreSQL's CREATE DATABASE … TEMPLATE when TEST_DATABASE_URL is set, a PGlite data dump otherwise.
 */
export async function createTestDatabase<DB>(
  product: string,
  migrations: Migrations,
): Promise<TestDatabase<DB>> {
  const url = process.env.TEST_DATABASE_URL
  const fingerprint = migrationsFingerprint(migrations)
  return url
    ? clonePostgres<DB>(url, product, fingerprint, migrations)
    : clonePGlite<DB>(product, fingerprint, migrations)
}

async function clonePGlite<DB>(
  product: string,
  fingerprint: string,
  migrations: Migrations,
): Promise<TestDatabase<DB>> {
  const file = join(CACHE_DIR, `${product}-${fingerprint}.tar.gz`)
  let dump: Buffer
  try {
    dump = readFileSync(file)
  } catch {
    const pglite = await PGlite.create()
    await migrateToLatest(new Kysely<unknown>({ dialect: new PGliteDialect({ pglite }) }), migrations)
    const blob = await pglite.dumpDataDir('gzip')
    await pglite.close()
    dump = Buffer.from(await blob.arrayBuffer())
    mkdirSync(CACHE_DIR, { recursive: true })
    // Written aside and renamed: a parallel test file never reads half a template.
    const partial = `${file}.${process.pid}.partial`
    writeFileSync(partial, dump)
    renameSync(partial, file)
  }
  const database = await openDb<DB>({ loadDataDir: new Blob([new Uint8Array(dump)]) })
  return { ...database, drop: () => database.close() }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

async function clonePostgres<DB>(
  url: string,
  product: string,
  fingerprint: string,
  migrations: Migrations,
): Promise<TestDatabase<DB>> {
  const template = `${product}_tpl_${fingerprint}`
  const name = `${product}_t_${randomToken(6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x')}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    // One process builds the template; the others wait on the lock and then find it.
    await admin.query('select pg_advisory_lock(hashtext($1))', [template])
    const exists = await admin.query('select 1 from pg_database where datname = $1', [template])
    if (exists.rowCount === 0) {
      await admin.query(`create database ${pg.escapeIdentifier(template)}`)
      const tpl = await openDb<unknown>({ url: withDatabase(url, template), poolSize: 1 })
      try {
        await migrateToLatest(tpl.db, migrations)
      } catch (error) {
        await tpl.close()
        await admin.query(`drop database ${pg.escapeIdentifier(template)}`)
        throw error
      }
      await tpl.close()
    }
    await admin.query(
      `create database ${pg.escapeIdentifier(name)} template ${pg.escapeIdentifier(template)}`,
    )
  } finally {
    await admin.query('select pg_advisory_unlock(hashtext($1))', [template]).catch(() => {})
    await admin.end()
  }
  const testUrl = withDatabase(url, name)
  const database = await openDb<DB>({ url: testUrl, poolSize: 5 })
  return {
    ...database,
    async drop() {
      await database.close()
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`)
      await client.end()
    },
  }
}
