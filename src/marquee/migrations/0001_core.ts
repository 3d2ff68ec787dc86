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
      -- app friends may see what this user watched, for "friends who might like this" (off by default)
      share_history_with_friends boolean not null default false,
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

    create table titles (
      id text primary key,
      name text not null,
      year integer not null,
      runtime_minutes integer not null check (runtime_minutes > 0),
      genres text[] not null,
      synopsis text not null,
      created_at timestamptz not null default now()
    );
    create index titles_genres_idx on titles using gin (genres);

    -- one row per (user, title): the latest position, when it started and when it was last finished
    create table watch_history (
      user_id uuid not null references users(id) on delete cascade,
      title_id text not null references titles(id),
      position_seconds integer not null default 0 check (position_seconds >= 0),
      started_at timestamptz not null,
      updated_at timestamptz not null,
      finished_at timestamptz,
      primary key (user_id, title_id)
    );
    create index watch_history_title_idx on watch_history (title_id);
    create index watch_history_recent_idx on watch_history (user_id, updated_at desc);
    `,
  )
}
