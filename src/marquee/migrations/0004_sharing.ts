import type { Kysely } from 'kysely'
import { runScript } from '../../lib/migrate.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    -- POST /api/shares answers once per (sender, Idempotency-Key); status 0 while the first call runs
    create table share_requests (
      user_id uuid not null references users(id) on delete cascade,
      key text not null,
      request_hash text not null,
      status integer not null,
      response jsonb not null,
      created_at timestamptz not null,
      primary key (user_id, key)
    );
    create index share_requests_created_idx on share_requests (created_at);

    -- one row per recipient of a share (a send), with its tracked-link token
    create table shares (
      id uuid primary key,
      sender_id uuid not null references users(id) on delete cascade,
      title_id text not null references titles(id),
      interface text not null,
      surface text not null,
      variant text not null,
      recipient_type text not null check (recipient_type in ('tandem', 'external')),
      -- an app-scoped id or a suggestion handle (from Tandem, deleted on disconnect), or the channel
      recipient text,
      channel text,
      token text not null unique,
      status text not null,
      tandem_send_id text,
      created_at timestamptz not null,
      delivered_at timestamptz
    );
    create index shares_sender_idx on shares (sender_id, created_at desc);

    -- the raw events; (id, type) is the idempotency key (a send's id for recommendation.sent)
    create table events (
      id uuid not null,
      type text not null check (type in ('recommendation.sent', 'recommendation.clicked', 'recommendation.click_confirmed')),
      send_id uuid not null,
      occurred_at timestamptz not null,
      received_at timestamptz not null,
      sender_id uuid,
      title_id text,
      interface text,
      surface text,
      variant text,
      recipient_type text,
      click_class text,
      -- false for a click whose send has not arrived yet: it is rolled up when the send does
      rolled_up boolean not null,
      primary key (id, type)
    );
    create index events_pending_idx on events (send_id) where not rolled_up;

    -- sends with a confirmed click, once per bucket: the first confirmation makes a unique click
    create table confirmed_sends (
      send_id uuid not null,
      late boolean not null,
      primary key (send_id, late)
    );

    -- one row per (UTC day of the send, interface, surface, variant, recipient type), kept current at ingest
    create table share_rollups (
      day date not null,
      interface text not null,
      surface text not null,
      variant text not null,
      recipient_type text not null,
      sends integer not null default 0,
      clicks integer not null default 0,
      unique_clicks integer not null default 0,
      clicked_human integer not null default 0,
      clicked_preview_fetch integer not null default 0,
      clicked_scanner integer not null default 0,
      clicked_unknown integer not null default 0,
      primary key (day, interface, surface, variant, recipient_type)
    );

    -- clicks that came more than 7 days after their send, by the send's cell and the day they arrived
    create table share_rollups_late (
      day date not null,
      interface text not null,
      surface text not null,
      variant text not null,
      recipient_type text not null,
      arrived_day date not null,
      clicks integer not null default 0,
      unique_clicks integer not null default 0,
      clicked_human integer not null default 0,
      clicked_preview_fetch integer not null default 0,
      clicked_scanner integer not null default 0,
      clicked_unknown integer not null default 0,
      primary key (day, interface, surface, variant, recipient_type, arrived_day)
    );

    -- per sender per day and cell, so a report can clip each sender to C counted sends a day
    create table sender_daily_sends (
      day date not null,
      sender_id uuid not null,
      interface text not null,
      surface text not null,
      variant text not null,
      recipient_type text not null,
      sends integer not null default 0,
      clicks integer not null default 0,
      unique_clicks integer not null default 0,
      primary key (day, sender_id, interface, surface, variant, recipient_type)
    );
    `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `drop table sender_daily_sends, share_rollups_late, share_rollups, confirmed_sends, events, shares, share_requests;`,
  )
}
