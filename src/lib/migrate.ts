import { createHash } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration'

export type Migrations = Record<string, Migration>

class StaticProvider implements MigrationProvider {
  #migrations: Migrations
  constructor(migrations: Migrations) {
    this.#migrations = migrations
  }
  async getMigrations(): Promise<Migrations> {
    return this.#migrations
  }
}

/** Brings the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>, migrations: Migrations): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticProvider(migrations) })
  const { error, results } = await migrator.migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`, { cause: error })
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/** A fingerprint of a migration set: templates built from other migrations are never reused. */
export function migrationsFingerprint(migrations: Migrations): string {
  const hash = createHash('sha256')
  for (const name of Object.keys(migrations).sort()) {
    hash.update(name)
    hash.update(String(migrations[name]?.up))
    hash.update(String(migrations[name]?.down ?? ''))
  }
  return hash.digest('hex').slice(0, 16)
}

/**
 * Runs a script of several statements one by one (prepared statements take one each).
 * Statements end with a semicolon at the end of a line; `--` comments are dropped.
 */
export async function runScript(db: Kysely<unknown>, script: string): Promise<void> {
  const statements = script
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean)
  for (const statement of statements) await sql.raw(statement).execute(db)
}
