import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import type { DatabaseTarget } from './types.ts'

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

/** PostgreSQL when the admin URL answers (the production setup), else embedded PGlite. */
export async function chooseDatabase(env: NodeJS.ProcessEnv): Promise<DatabaseTarget> {
  const adminUrl = env.BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    const { rows } = await client.query<{ server_version: string }>('show server_version')
    return { kind: 'postgres', adminUrl, version: `PostgreSQL ${rows[0]?.server_version ?? '?'}` }
  } catch {
    const pglite = await PGlite.create()
    const { rows } = await pglite.query<{ server_version: string }>('show server_version')
    await pglite.close()
    return { kind: 'pglite', version: `PGlite (PostgreSQL ${rows[0]?.server_version ?? '?'} in WebAssembly)` }
  } finally {
    await client.end().catch(() => {})
  }
}

let databases = 0

export type ScratchDatabase =
  | { kind: 'postgres'; url: string; drop(): Promise<void> }
  | { kind: 'pglite'; dataDir: string; drop(): Promise<void> }

/** A fresh, empty database for one server; `drop` removes it. */
export async function createScratchDatabase(target: DatabaseTarget): Promise<ScratchDatabase> {
  if (target.kind === 'pglite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'tandem-bench-'))
    return { kind: 'pglite', dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) }
  }
  databases += 1
  const name = `tandem_bench_${process.pid}_${databases}`
  await adminQuery(target.adminUrl, `create database ${pg.escapeIdentifier(name)}`)
  const url = new URL(target.adminUrl)
  url.pathname = `/${name}`
  return {
    kind: 'postgres',
    url: url.toString(),
    drop: () =>
      adminQuery(target.adminUrl, `drop database if exists ${pg.escapeIdentifier(name)} with (force)`),
  }
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}
