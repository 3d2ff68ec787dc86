import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    create table users (
      id uuid primary key,
      username text not null,
      display_name text not null,
      password_hash text not null,
      is_admin boolean not null default false,
      allow_suggestions boolean not null default false,
      created_at timestamptz not null default now()
    );
    create unique index users_username_key on users (lower(username));

    create table sessions (
      id_hash text primary key,
      user_id uuid not null references users(id) on delete cascade,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      last_seen_at timestamptz not null
    );
    create index sessions_user_idx on sessions (user_id);

    create table friend_requests (
      id uuid primary key,
      from_user_id uuid not null references users(id) on delete cascade,
      to_user_id uuid not null references users(id) on delete cascade,
      status text not null check (status in ('pending', 'accepted', 'declined', 'cancelled')),
      created_at timestamptz not null,
      responded_at timestamptz
    );
    create unique index friend_requests_pending_key on friend_requests (from_user_id, to_user_id) where status = 'pending';
    create index friend_requests_to_idx on friend_requests (to_user_id) where status = 'pending';

    -- one row per direction, so "my friends" is an index range scan
    create table friendships (
      user_id uuid not null references users(id) on delete cascade,
      friend_id uuid not null references users(id) on delete cascade,
      created_at timestamptz not null,
      primary key (user_id, friend_id)
    );

    create table blocks (
      blocker_id uuid not null references users(id) on delete cascade,
      blocked_id uuid not null references users(id) on delete cascade,
      created_at timestamptz not null,
      primary key (blocker_id, blocked_id)
    );
    create index blocks_blocked_idx on blocks (blocked_id);

    create table threads (
      id uuid primary key,
      kind text not null check (kind in ('direct', 'group')),
      title text,
      direct_key text unique,
      created_by uuid not null references users(id),
      created_at timestamptz not null,
      last_seq bigint not null default 0,
      last_message_at timestamptz
    );

    create table thread_members (
      thread_id uuid not null references threads(id) on delete cascade,
      user_id uuid not null references users(id) on delete cascade,
      joined_at timestamptz not null,
      last_read_seq bigint not null default 0,
      primary key (thread_id, user_id)
    );
    create index thread_members_user_idx on thread_members (user_id);

    create table messages (
      id uuid primary key,
      thread_id uuid not null references threads(id) on delete cascade,
      seq bigint not null,
      sender_id uuid not null references users(id),
      kind text not null check (kind in ('text', 'title_card')),
      body text not null default '',
      card jsonb,
      links jsonb not null default '[]'::jsonb,
      via_client_id text,
      created_at timestamptz not null,
      unique (thread_id, seq)
    );

    create table idempotency_keys (
      user_id uuid not null references users(id) on delete cascade,
      scope text not null,
      key text not null,
      request_hash text not null,
      status integer not null,
      response jsonb not null,
      created_at timestamptz not null,
      primary key (user_id, scope, key)
    );
    create index idempotency_keys_created_idx on idempotency_keys (created_at);

    create table links (
      id text primary key,
      url text not null,
      message_id uuid references messages(id) on delete cascade,
      via_client_id text,
      created_at timestamptz not null
    );
    create index links_message_idx on links (message_id);

    create table link_clicks (
      id bigint generated always as identity primary key,
      link_id text not null references links(id) on delete cascade,
      clicked_at timestamptz not null
    );
    create index link_clicks_link_idx on link_clicks (link_id);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    drop table link_clicks, links, idempotency_keys, messages, thread_members, threads, blocks,
      friendships, friend_requests, sessions, users;
  `,
  )
}
