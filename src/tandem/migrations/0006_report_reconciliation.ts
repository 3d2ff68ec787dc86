import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- Tandem's reconciliation of each report version against its own counts; written once, with the version.
    create table partner_report_reconciliations (
      report_id uuid primary key references partner_reports(id),
      client_id text not null,
      verdict text not null check (verdict in ('consistent', 'discrepant')),
      flagged_cells integer not null,
      result jsonb not null,
      created_at timestamptz not null
    );
    create function partner_report_reconciliations_append_only() returns trigger language plpgsql as $$ begin raise exception 'partner_report_reconciliations is append-only' using errcode = 'P0001'; end $$;
    create trigger partner_report_reconciliations_append_only before update or delete on partner_report_reconciliations for each row execute function partner_report_reconciliations_append_only();
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    'drop table partner_report_reconciliations; drop function partner_report_reconciliations_append_only;',
  )
}
