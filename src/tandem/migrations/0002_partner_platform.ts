import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- Secrets the servers share (OIDC signing keys, cookie keys), encrypted with TANDEM_SECRET_KEY.
    create table server_secrets (
      name text primary key,
      value_enc text not null,
      created_at timestamptz not null
    );

    create table partner_apps (
      client_id text primary key,
      name text not null,
      logo_url text,
      homepage_url text not null,
      privacy_policy_url text not null,
      redirect_uris jsonb not null,
      jwks_uri text,
      jwks jsonb,
      webhook_url text,
      -- HMAC key for webhooks, encrypted at rest (AES-256-GCM under TANDEM_SECRET_KEY)
      webhook_secret_enc text not null,
      dpop_bound boolean not null default false,
      status text not null default 'active' check (status in ('active', 'suspended')),
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check (jwks_uri is not null or jwks is not null)
    );

    create table agreements (
      id uuid primary key,
      client_id text not null references partner_apps(client_id) on delete cascade,
      api text not null check (api in ('inbox', 'friends', 'activity', 'reporting')),
      version integer not null,
      valid_from timestamptz not null,
      valid_until timestamptz not null,
      ended_at timestamptz,
      end_reason text,
      obligations jsonb not null default '{}'::jsonb,
      created_by uuid references users(id),
      created_at timestamptz not null,
      unique (client_id, api, version),
      check (valid_until > valid_from)
    );
    create index agreements_client_idx on agreements (client_id, api);

    -- oidc-provider's storage: only a hash of each id (token, code, session…) is kept (SECURITY.md row 23).
    create table oidc_payloads (
      model text not null,
      id_hash text not null,
      payload jsonb not null,
      grant_id text,
      uid text,
      user_code_hash text,
      expires_at timestamptz,
      consumed_at timestamptz,
      primary key (model, id_hash)
    );
    create index oidc_payloads_grant_idx on oidc_payloads (grant_id) where grant_id is not null;
    create index oidc_payloads_uid_idx on oidc_payloads (uid) where uid is not null;
    create index oidc_payloads_expires_idx on oidc_payloads (expires_at);

    -- Tandem's own index of what each user granted each partner: the Connected apps page.
    create table partner_grants (
      grant_id text primary key,
      user_id uuid not null references users(id) on delete cascade,
      client_id text not null references partner_apps(client_id) on delete cascade,
      scopes jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      revoked_at timestamptz,
      revoked_reason text
    );
    create index partner_grants_user_idx on partner_grants (user_id, client_id);
    create index partner_grants_client_idx on partner_grants (client_id) where revoked_at is null;

    -- App-scoped (pairwise) subject ids: the same person has unrelated ids at two partners.
    create table app_subjects (
      client_id text not null references partner_apps(client_id) on delete cascade,
      user_id uuid not null references users(id) on delete cascade,
      sub text not null,
      created_at timestamptz not null,
      primary key (client_id, user_id),
      unique (client_id, sub)
    );

    -- The per-user access ledger: append-only, each entry hashing the one before.
    create table ledger_entries (
      user_id uuid not null references users(id) on delete cascade,
      seq bigint not null,
      client_id text not null,
      scope text not null,
      action text not null,
      object_count integer not null check (object_count >= 0),
      purpose text not null,
      details jsonb not null default '{}'::jsonb,
      created_at timestamptz not null,
      prev_hash text not null,
      hash text not null,
      primary key (user_id, seq)
    );
    create index ledger_entries_client_idx on ledger_entries (client_id, created_at);
    create function ledger_entries_append_only() returns trigger language plpgsql as $$ begin raise exception 'ledger_entries is append-only' using errcode = 'P0001'; end $$;
    create trigger ledger_entries_append_only before update or delete on ledger_entries for each row execute function ledger_entries_append_only();

    create table webhook_deliveries (
      id uuid primary key,
      client_id text not null references partner_apps(client_id) on delete cascade,
      event_type text not null,
      payload jsonb not null,
      status text not null check (status in ('pending', 'delivered', 'failed')),
      attempts integer not null default 0,
      next_attempt_at timestamptz,
      last_status integer,
      last_error text,
      created_at timestamptz not null,
      delivered_at timestamptz
    );
    create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending';
    create index webhook_deliveries_client_idx on webhook_deliveries (client_id, created_at);

    -- After a revocation the partner owes a signed receipt that it deleted what it held.
    create table deletion_requests (
      id uuid primary key,
      grant_id text not null,
      user_id uuid not null references users(id) on delete cascade,
      client_id text not null references partner_apps(client_id) on delete cascade,
      requested_at timestamptz not null,
      due_at timestamptz not null,
      receipt jsonb,
      receipt_jws text,
      received_at timestamptz
    );
    create index deletion_requests_user_idx on deletion_requests (user_id);
    create index deletion_requests_client_idx on deletion_requests (client_id, received_at);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    drop function ledger_entries_append_only cascade;
    drop table deletion_requests, webhook_deliveries, ledger_entries, app_subjects, partner_grants,
      oidc_payloads, agreements, partner_apps, server_secrets;
  `,
  )
}
