import { type Kysely, sql } from 'kysely'
import { runScript } from '../../lib/migrate.ts'
import { catalogChecksum, generateCatalog } from '../catalog/catalog.data.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  // The shipped catalogue is generated in code; this migration ships exactly the catalogue with this
  // checksum, so an edit to the generator fails here instead of silently differing between installs
  // (and changes this function's text, so test templates built from the old catalogue are not reused).
  const expected = 'ecf9e8bdd7a6a18e'
  const titles = generateCatalog()
  const actual = catalogChecksum(titles)
  if (actual !== expected) throw new Error(`the generated catalogue changed (${actual}): add a new migration`)

  await runScript(
    db,
    `
    alter table titles add column kind text not null default 'film' check (kind in ('film', 'series'));
    -- seasons of a series; null for a film
    alter table titles add column seasons integer check (seasons > 0);
    create index titles_year_id_idx on titles (year desc, (id collate "C"));
    `,
  )
  const rows = titles.map(
    (t) =>
      sql`(${t.id}, ${t.name}, ${t.year}, ${t.runtimeMinutes}, ${sql.raw(textArray(t.genres))}, ${t.synopsis}, ${t.kind}, ${t.seasons})`,
  )
  await sql`
    insert into titles (id, name, year, runtime_minutes, genres, synopsis, kind, seasons)
    values ${sql.join(rows)}
  `.execute(db)
}

/** A text[] literal of genre ids (lowercase letters and hyphens only, checked here). */
function textArray(values: string[]): string {
  for (const v of values) if (!/^[a-z-]+$/.test(v)) throw new Error(`unexpected genre id ${v}`)
  return `array[${values.map((v) => `'${v}'`).join(', ')}]::text[]`
}
