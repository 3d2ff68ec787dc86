import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- Whether partner activity ("watching …") shows on my profile; the partner also needs activity.publish.
    alter table users add column partner_activity_enabled boolean not null default true;

    -- Single-use, expiring handles for friends who do not use a partner and allow suggestions.
    -- Only a hash is kept: the handle is a bearer value. Two handles for one person share nothing.
    create table suggestion_handles (
      handle_hash text primary key,
      client_id text not null references partner_apps(client_id) on delete cascade,
      issued_for uuid not null references users(id) on delete cascade,
      friend_id uuid not null references users(id) on delete cascade,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz
    );
    create index suggestion_handles_expires_idx on suggestion_handles (expires_at);

    -- A recipient who muted a partner receives no more of its messages.
    create table partner_mutes (
      user_id uuid not null references users(id) on delete cascade,
      client_id text not null references partner_apps(client_id) on delete cascade,
      created_at timestamptz not null,
      primary key (user_id, client_id)
    );

    create table partner_abuse_reports (
      id uuid primary key,
      user_id uuid not null references users(id) on delete cascade,
      client_id text not null references partner_apps(client_id) on delete cascade,
      message_id uuid references messages(id) on delete set null,
      reason text not null,
      created_at timestamptz not null
    );
    create index partner_abuse_reports_client_idx on partner_abuse_reports (client_id, created_at);

    -- One row per recipient of an Inbox API send: caps, per-recipient status, and the link to count clicks.
    create table partner_sends (
      id uuid primary key,
      client_id text not null references partner_apps(client_id) on delete cascade,
      sender_id uuid not null references users(id) on delete cascade,
      recipient_id uuid not null references users(id) on delete cascade,
      recipient_kind text not null check (recipient_kind in ('app_friend', 'suggestion')),
      message_id uuid references messages(id) on delete set null,
      link_id text,
      day date not null,
      interface text not null,
      surface text not null,
      variant text not null,
      created_at timestamptz not null,
      first_clicked_at timestamptz
    );
    create index partner_sends_sender_idx on partner_sends (client_id, sender_id, created_at);
    create index partner_sends_recipient_idx on partner_sends (recipient_id, created_at);
    create index partner_sends_link_idx on partner_sends (link_id) where link_id is not null;

    -- Tandem's own daily counts per partner and context, kept current as sends and clicks happen.
    create table partner_daily_counts (
      client_id text not null references partner_apps(client_id) on delete cascade,
      day date not null,
      interface text not null,
      surface text not null,
      variant text not null,
      sends integer not null default 0,
      clicks integer not null default 0,
      unique_clicks integer not null default 0,
      primary key (client_id, day, interface, surface, variant)
    );

    -- "Ana is watching … on Marquee": partner-published activity on a user's profile.
    create table activity_items (
      id uuid primary key,
      user_id uuid not null references users(id) on delete cascade,
      client_id text not null references partner_apps(client_id) on delete cascade,
      kind text not null check (kind in ('watching', 'finished')),
      title jsonb not null,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      deleted_at timestamptz
    );
    create index activity_items_user_idx on activity_items (user_id, created_at desc);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    drop table activity_items, partner_daily_counts, partner_sends, partner_abuse_reports, partner_mutes, suggestion_handles;
    alter table users drop column partner_activity_enabled;
  `,
  )
}
