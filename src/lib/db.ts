import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely'
import pg from 'pg'

const INT8_OID = 20
const NUMERIC_OID = 1700
const DATE_OID = 1082
// Counts and sequence numbers fit well inside 2^53; numbers are easier for every caller than strings.
pg.types.setTypeParser(INT8_OID, (value) => Number(value))
pg.types.setTypeParser(NUMERIC_OID, (value) => Number(value))
// A calendar day stays the 'YYYY-MM-DD' it is: as a Date it would shift with the process's time zone.
// (PGlite still returns a Date for `date` columns: select `day::text` where the string matters.)
pg.types.setTypeParser(DATE_OID, (value) => value)

export type NotifyHandler = (payload: string) => void

export interface Database<DB> {
  db: Kysely<DB>
  kind: 'pglite' | 'postgres'
  /** Subscribes to a Postgres NOTIFY channel; returns the unsubscribe function. */
  listen(channel: string, handler: NotifyHandler): Promise<() => Promise<void>>
  close(): Promise<void>
  /** The raw PGlite instance (embedded mode only), for dumps and tooling. */
  pglite?: PGlite
  /** The connection string (PostgreSQL mode only). */
  url?: string
}

export interface OpenDbOptions {
  /** PostgreSQL connection string; when absent, an embedded PGlite database is used. */
  url?: string | undefined
  /** Folder for the embedded database; absent means in memory. */
  dataDir?: string | undefined
  /** A PGlite data dump to start from (tests clone a migrated template this way). */
  loadDataDir?: Blob | undefined
  poolSize?: number | undefined
}

export async function openDb<DB>(options: OpenDbOptions): Promise<Database<DB>> {
  return options.url ? openPostgres<DB>(options.url, options.poolSize ?? 10) : openPGlite<DB>(options)
}

async function openPGlite<DB>(options: OpenDbOptions): Promise<Database<DB>> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true })
  const pglite = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    parsers: {
      [INT8_OID]: (value: string) => Number(value),
      [NUMERIC_OID]: (value: string) => Number(value),
    },
  })
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) })
  return {
    db,
    kind: 'pglite',
    pglite,
    async listen(channel, handler) {
      return pglite.listen(channel, handler)
    },
    async close() {
      if (!pglite.closed) await pglite.close()
    },
  }
}

async function openPostgres<DB>(url: string, poolSize: number): Promise<Database<DB>> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, Client: PreparingClient })
  // An idle client that loses its connection must not take the process down.
  pool.on('error', () => {})
  // Between checkouts no transaction is open, so a full statement cache can be dropped safely here.
  pool.on('acquire', (client) => {
    if (client instanceof PreparingClient) client.dropStatementsIfDue()
  })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  const listeners = new Set<PgListener>()
  return {
    db,
    kind: 'postgres',
    url,
    async listen(channel, handler) {
      const listener = new PgListener(url, channel, handler)
      await listener.start()
      listeners.add(listener)
      return async () => {
        listeners.delete(listener)
        await listener.stop()
      }
    },
    async close() {
      await Promise.all([...listeners].map((l) => l.stop()))
      await db.destroy()
    },
  }
}

/** Named statements one pooled connection keeps prepared at most (each holds parse trees and plans in its backend). */
const MAX_PREPARED_PER_CONNECTION = 200
const DML = /^\s*(with|select|insert|update|delete)\b/i

/**
 * A pooled connection that runs every parameterised DML statement as a named prepared statement, named
 * by a hash of its text, so PostgreSQL parses it once per connection and may reuse its plan (after five
 * executions, when a generic plan costs no more than the custom ones). Statements without parameters
 * (BEGIN, COMMIT, DDL in migrations) stay unnamed. Once `MAX_PREPARED_PER_CONNECTION` are prepared,
 * new texts run unnamed until the next checkout deallocates them all, so SQL built from varying input
 * (IN lists of any length) cannot grow a backend's memory without bound.
 */
class PreparingClient extends pg.Client {
  #names = new Map<string, string>()
  #stale = false

  // biome-ignore lint/suspicious/noExplicitAny: pg.Client.query's overloads cannot be forwarded with their types.
  override query(...args: any[]): any {
    const [text, values] = args
    if (
      typeof text === 'string' &&
      Array.isArray(values) &&
      values.length > 0 &&
      args.length === 2 &&
      DML.test(text)
    ) {
      const name = this.#nameOf(text)
      if (name) {
        const result = super.query({ name, text, values })
        // A table whose columns changed under a `select *` (another instance migrated it) makes PostgreSQL
        // refuse the statement every time: the statements are dropped at the next checkout instead.
        result.catch((error: { code?: string; message?: string }) => {
          if (error.code === '0A000' && error.message?.includes('cached plan must not change result type')) {
            this.#stale = true
          }
        })
        return result
      }
    }
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    return (super.query as (...a: any[]) => any)(...args)
  }

  #nameOf(text: string): string | undefined {
    const known = this.#names.get(text)
    if (known || this.#names.size >= MAX_PREPARED_PER_CONNECTION) return known
    const name = `s_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`
    this.#names.set(text, name)
    return name
  }

  /**
   * Called at checkout, when no transaction is open: deallocates every named statement once the cache
   * is full or one of them no longer matches its tables.
   */
  dropStatementsIfDue(): void {
    if (this.#names.size < MAX_PREPARED_PER_CONNECTION && !this.#stale) return
    this.#names.clear()
    this.#stale = false
    // node-postgres remembers which names it has parsed on this connection; they are gone after DEALLOCATE ALL.
    const connection = (this as unknown as { connection: { parsedStatements: Record<string, string> } })
      .connection
    connection.parsedStatements = {}
    super.query('deallocate all').catch(() => {})
  }
}

/** A dedicated connection that LISTENs on one channel and reconnects with backoff when it drops. */
class PgListener {
  #client: pg.Client | undefined
  #stopped = false
  #url: string
  #channel: string
  #handler: NotifyHandler
  #retryMs = 100

  constructor(url: string, channel: string, handler: NotifyHandler) {
    this.#url = url
    this.#channel = channel
    this.#handler = handler
  }

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url })
    client.on('notification', (msg) => {
      if (msg.channel === this.#channel) this.#handler(msg.payload ?? '')
    })
    client.on('error', () => this.#reconnect(client))
    client.on('end', () => this.#reconnect(client))
    await client.connect()
    await client.query(`LISTEN ${pg.escapeIdentifier(this.#channel)}`)
    this.#client = client
    this.#retryMs = 100
  }

  #reconnect(client: pg.Client): void {
    if (this.#stopped || this.#client !== client) return
    this.#client = undefined
    client.end().catch(() => {})
    const retry = () => {
      if (this.#stopped) return
      this.start().catch(() => {
        this.#retryMs = Math.min(this.#retryMs * 2, 5000)
        setTimeout(retry, this.#retryMs).unref()
      })
    }
    setTimeout(retry, this.#retryMs).unref()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    const client = this.#client
    this.#client = undefined
    await client?.end().catch(() => {})
  }
}

/** Sends a NOTIFY inside the caller's transaction, so it is delivered only if the transaction commits. */
export async function notify<DB>(db: Kysely<DB>, channel: string, payload: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${payload})`.execute(db)
}

/**
 * `rows` as a VALUES list named `alias(column, …)`, each value cast to its column's type, for a FROM
 * clause. Unlike unnest($1::uuid[]), whose row count a generic plan cannot see (it assumes 100), a
 * VALUES list has as many rows as its text says, so the generic plan of a prepared statement (one per
 * list length) costs what a custom one does, and PostgreSQL reuses it instead of planning every call.
 * `rows` must not be empty.
 */
export function valuesTable(
  alias: string,
  columns: Record<string, string>,
  rows: readonly (readonly unknown[])[],
) {
  if (rows.length === 0) throw new Error('a VALUES list needs at least one row')
  const types = Object.values(columns)
  const row = (values: readonly unknown[]) =>
    sql`(${sql.join(values.map((value, i) => sql`${value}::${sql.raw(types[i]!)}`))})`
  return sql`(values ${sql.join(rows.map(row))}) as ${sql.raw(alias)}(${sql.raw(Object.keys(columns).join(', '))})`
}
