import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- Marquee's own signing keys: the public JWK is served at /.well-known/jwks.json, the private one is
    -- sealed with the server's secret key; one live key per algorithm
    create table signing_keys (
      kid text primary key,
      alg text not null check (alg in ('EdDSA', 'ES256')),
      public_jwk jsonb not null,
      private_jwk_enc text not null,
      created_at timestamptz not null,
      retired_at timestamptz
    );
    create unique index signing_keys_live_alg_key on signing_keys (alg) where retired_at is null;

    -- Marquee's registration at Tandem, when not given by the environment (one row)
    create table tandem_registration (
      id smallint primary key check (id = 1),
      client_id text not null,
      webhook_secret_enc text not null,
      updated_at timestamptz not null
    );

    -- authorization requests in flight: PKCE verifier and nonce kept here, found by the hash of state
    create table tandem_auth_requests (
      state_hash text primary key,
      user_id uuid not null references users(id) on delete cascade,
      verifier_enc text not null,
      nonce text not null,
      scope text not null,
      purpose text not null check (purpose in ('connect', 'activity')),
      return_to text not null,
      created_at timestamptz not null,
      expires_at timestamptz not null
    );
    create index tandem_auth_requests_expires_idx on tandem_auth_requests (expires_at);

    -- a user's connection with Tandem: the app-scoped subject, the granted scopes, tokens sealed at rest
    create table tandem_connections (
      user_id uuid primary key references users(id) on delete cascade,
      subject text not null,
      grant_id text,
      scopes jsonb not null,
      access_token_enc text not null,
      access_expires_at timestamptz not null,
      refresh_token_enc text,
      connected_at timestamptz not null,
      updated_at timestamptz not null
    );
    create unique index tandem_connections_subject_key on tandem_connections (subject);

    -- "Share what I watch on Tandem": off by default, a consent of its own that lapses
    create table tandem_activity_consents (
      user_id uuid primary key references users(id) on delete cascade,
      enabled boolean not null,
      consented_at timestamptz,
      updated_at timestamptz not null
    );

    -- webhook events already handled, so a retried or replayed delivery is acknowledged and skipped
    create table tandem_webhook_events (
      id text primary key,
      type text not null,
      received_at timestamptz not null,
      -- agreement terms as Tandem sent them; nothing about a person is kept here
      data jsonb
    );
    create index tandem_webhook_events_received_idx on tandem_webhook_events (received_at);

    -- deletion receipts sent to Tandem after data.deletion_requested (the subject itself is not kept)
    create table tandem_deletion_receipts (
      request_id text primary key,
      deleted_at timestamptz not null,
      sent_at timestamptz not null
    );
    `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    drop table tandem_deletion_receipts;
    drop table tandem_webhook_events;
    drop table tandem_activity_consents;
    drop table tandem_connections;
    drop table tandem_auth_requests;
    drop table tandem_registration;
    drop table signing_keys;
    `,
  )
}
