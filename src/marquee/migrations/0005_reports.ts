import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- every version of the biweekly report Marquee released, as signed; a restatement names what it supersedes
    create table report_versions (
      id uuid primary key,
      period_start date not null,
      period_end date not null,
      status text not null check (status in ('provisional', 'final')),
      supersedes uuid references report_versions(id),
      jws text not null,
      created_at timestamptz not null
    );
    create index report_versions_period_idx on report_versions (period_start, created_at);

    -- the privacy budget: ε spent on each UTC day of data, one row per release and day (MEASUREMENT.md)
    create table privacy_budget_ledger (
      release_id uuid not null references report_versions(id) deferrable initially deferred,
      day date not null,
      epsilon double precision not null check (epsilon > 0),
      created_at timestamptz not null,
      primary key (day, release_id)
    );
    `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(db, 'drop table privacy_budget_ledger, report_versions;')
}
