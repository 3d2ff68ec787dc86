import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- what Tandem answered when a version was delivered: its receipt id (a restatement names it in
    -- supersedes) and its reconciliation; null until delivered (a release Tandem has not yet accepted).
    -- arm_counts: per variant, the sums of the noisy counts before clamping (unbiased, free of budget),
    -- for the experiment statistics on the report page
    alter table report_versions
      add column epsilon_per_day double precision,
      add column arm_counts jsonb,
      add column tandem_report_id text,
      add column delivered_at timestamptz,
      add column reconciliation jsonb;
    create unique index report_versions_tandem_idx on report_versions (tandem_report_id);
    `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `drop index report_versions_tandem_idx;
    alter table report_versions drop column epsilon_per_day, drop column arm_counts, drop column tandem_report_id,
      drop column delivered_at, drop column reconciliation;`,
  )
}
