import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- Every version of every report a partner delivered, as signed; never changed afterwards.
    create table partner_reports (
      id uuid primary key,
      client_id text not null references partner_apps(client_id) on delete cascade,
      period_start date not null,
      period_end date not null,
      status text not null check (status in ('provisional', 'final')),
      supersedes uuid references partner_reports(id),
      jws text not null,
      payload jsonb not null,
      received_at timestamptz not null
    );
    create index partner_reports_client_idx on partner_reports (client_id, period_start, received_at);
    create function partner_reports_append_only() returns trigger language plpgsql as $$ begin raise exception 'partner_reports is append-only' using errcode = 'P0001'; end $$;
    create trigger partner_reports_append_only before update or delete on partner_reports for each row execute function partner_reports_append_only();
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(db, 'drop table partner_reports; drop function partner_reports_append_only;')
}
