import { sql } from 'kysely'
import { valuesTable } from '../../lib/db.ts'
import { AppError } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import type { Db, Thread } from '../db.ts'
import { ledgerLock, lockLedgers } from '../ledger/ledger.repository.ts'
import { appendLedgerEntries, type LedgerEntryDraft, ledgerUsers } from '../ledger/ledger.service.ts'
import {
  type IdempotencyId,
  insertKeyWithResponse,
  type KeyRecord,
  keyRecord,
  replay,
  requestHash,
} from '../messaging/idempotency.ts'
import {
  type MessagingDeps,
  messageStatementParts,
  openDirectThread,
} from '../messaging/messaging.service.ts'
import { hashHandle } from './friends.service.ts'
import { type PartnerApiLimits, secondsToUtcMidnight, utcDay } from './limits.ts'
import { HANDLE_PATTERN, type RecommendationInput } from './partner-api.schemas.ts'

export interface SendsCaller {
  clientId: string
  userId: string
}

type SendStatus = 'sent' | 'not_delivered'
export interface RecommendationResult {
  sends: { id: string; recipient: string; status: SendStatus }[]
}

interface Candidate {
  user_id: string
  friends: boolean
  blocked: boolean
  muted: boolean
  received: string | number
  /** Their one-to-one thread with the sender, when there is one. */
  thread_id: string | null
}

/**
 * Everything a send to one person depends on, in one statement: whether they are the sender's friend,
 * a block either way, a mute of this partner, the partner messages they received today, and their
 * one-to-one thread with the sender (its key as openDirectThread makes it).
 */
function candidateChecks(caller: SendsCaller, day: string) {
  return sql`
    exists (select 1 from friendships f where f.user_id = ${caller.userId} and f.friend_id = r.user_id) as friends,
    exists (
      select 1 from blocks b
      where (b.blocker_id = ${caller.userId} and b.blocked_id = r.user_id)
        or (b.blocker_id = r.user_id and b.blocked_id = ${caller.userId})
    ) as blocked,
    exists (select 1 from partner_mutes m where m.user_id = r.user_id and m.client_id = ${caller.clientId}) as muted,
    (select count(*) from partner_sends s where s.recipient_id = r.user_id and s.day = ${day}) as received,
    (
      select t.id from threads t
      where t.direct_key = case
        when ${caller.userId}::text collate "C" < r.user_id::text collate "C"
          then ${caller.userId}::text || ':' || r.user_id::text
        else r.user_id::text || ':' || ${caller.userId}::text
      end
    ) as thread_id`
}

type Recipient = {
  userId: string
  kind: 'app_friend' | 'suggestion'
  deliver: boolean
  received: number
  threadId: string | null
}

/** A candidate who may receive a partner message now (privacy rule 5), or undefined. */
function eligible(
  caller: SendsCaller,
  kind: Recipient['kind'],
  candidate: Candidate | undefined,
  recipientCap: number,
): Recipient | undefined {
  if (!candidate || candidate.user_id === caller.userId || !candidate.friends) return undefined
  const received = Number(candidate.received)
  const deliver = !candidate.blocked && !candidate.muted && received < recipientCap
  return { userId: candidate.user_id, kind, deliver, received, threadId: candidate.thread_id }
}

/**
 * Resolves a suggestion handle to a friend of the sender who may receive a partner message now, or
 * undefined; the handle is consumed by the attempt. Two statements.
 */
async function resolveHandle(
  trx: Db,
  now: Date,
  day: string,
  caller: SendsCaller,
  handle: string,
  recipientCap: number,
) {
  const used = await trx
    .updateTable('suggestion_handles')
    .set({ used_at: now })
    .where('handle_hash', '=', hashHandle(handle))
    .where('client_id', '=', caller.clientId)
    .where('issued_for', '=', caller.userId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('friend_id')
    .executeTakeFirst()
  if (!used) return undefined
  const found = await sql<Candidate>`
    select r.user_id, ${candidateChecks(caller, day)}
    from (select ${used.friend_id}::uuid as user_id) r`.execute(trx)
  return eligible(caller, 'suggestion', found.rows[0], recipientCap)
}

interface Prelude {
  sent: string | number
  app_name: string
  username: string
  display_name: string
  candidates: (Candidate & { sub: string })[] | string
  /** The Idempotency-Key's row when a call used it before (keyRecord), else null. */
  stored: KeyRecord | string | null
  /** Whether no other send of the sender committed after this statement's snapshot was taken. */
  fresh: boolean
}

/**
 * What a send reads before it writes, in one statement: the sender's partner sends today, the partner's
 * name, the sender's names and the checks of each app friend named (`subs`), resolved by app-scoped id
 * (with a live grant for this partner), and the Idempotency-Key's row if it was used before.
 *
 * With `take`, the statement first takes the sender's turn (their partner_sender_turns row, locked until
 * commit: one sender's sends run one at a time), then the ledger locks of the sender and the app friends
 * it resolves, in user-id order (ledgerUsers' order), once it holds the turn. Its reads see the snapshot
 * taken when the statement began, before the turn was taken; `fresh` says whether that is as good as
 * after, i.e. no send of the sender committed in between (each one bumps the turn's version). The key
 * belongs to the sender, so only their sends write it: when `fresh`, its row is as the last one left it.
 */
async function readPrelude(
  trx: Db,
  caller: SendsCaller,
  day: string,
  subs: readonly string[],
  key: IdempotencyId | undefined,
  take?: { ledgers: boolean },
): Promise<Prelude | undefined> {
  // A VALUES list (valuesTable): one generic plan per list length, up to 20.
  const subRows =
    subs.length === 0
      ? sql`(select null::text where false) as q(sub)`
      : valuesTable(
          'q',
          { sub: 'text' },
          subs.map((sub) => [sub]),
        )
  const turn = sql`turn as (
      insert into partner_sender_turns (user_id, version)
      select id, 1 from users where id = ${caller.userId}
      on conflict (user_id) do update set version = partner_sender_turns.version + 1
      returning version
    ),`
  const ledgerLocks = take?.ledgers
    ? sql`, ledger_locks as (
        select ${ledgerLock(sql.ref('k'))}
        from (
          select distinct u::text as k from (select ${caller.userId}::uuid as u union select user_id from c) x
        ) t
        where exists (select 1 from turn)
        order by k collate "C"
      )`
    : sql``
  const prelude = await sql<Prelude>`
    with ${take ? turn : sql``} c as (
      select q.sub, r.user_id, ${candidateChecks(caller, day)}
      from ${subRows}
      join lateral (
        select a.user_id from app_subjects a
        where a.client_id = ${caller.clientId} and a.sub = q.sub
          and exists (
            select 1 from partner_grants g
            where g.user_id = a.user_id and g.client_id = a.client_id and g.revoked_at is null
          )
        limit 1
      ) r on true
    )${ledgerLocks}
    select
      (select count(*) from partner_sends
        where client_id = ${caller.clientId} and sender_id = ${caller.userId} and day = ${day}) as sent,
      (select name from partner_apps where client_id = ${caller.clientId}) as app_name,
      u.username, u.display_name,
      (select coalesce(json_agg(c), '[]'::json) from c) as candidates,
      ${key ? keyRecord(key) : sql`null::json`} as stored,
      ${
        take
          ? sql`(select version from turn) = coalesce(
              (select version from partner_sender_turns where user_id = ${caller.userId}), 0) + 1`
          : sql`true`
      } as fresh
      ${take?.ledgers ? sql`, (select count(*) from ledger_locks) as locked` : sql``}
    from users u where u.id = ${caller.userId}`.execute(trx)
  return prelude.rows[0]
}

/** Which of the sender's partner sends land on which shard of the day's count row. */
const COUNT_SHARDS = 16
const countShard = (userId: string) => Number.parseInt(userId.slice(-4), 16) % COUNT_SHARDS

/**
 * The Inbox API's one capability: a title card from the sender to each friend named, in their
 * one-to-one thread, labelled with the partner. Per-recipient answers say only `sent` or
 * `not_delivered`, whatever the reason. Sends, daily counts and ledger entries (sender and each
 * recipient) are written in the transaction of the messages.
 */
export async function sendRecommendations(
  db: Db,
  deps: MessagingDeps & { limits: PartnerApiLimits },
  caller: SendsCaller,
  input: RecommendationInput,
  idempotencyKey: string | undefined,
) {
  for (let attempt = 1; ; attempt++) {
    try {
      // After a conflict, every attempt reads again once it holds its locks.
      return await sendOnce(db, deps, caller, input, idempotencyKey, attempt > 1)
    } catch (error) {
      if ((error as { code?: string }).code !== SERIALIZATION_FAILURE) throw error
      if (attempt === MAX_ATTEMPTS) {
        throw new AppError(503, 'try_again', 'too many sends to these recipients at once', undefined, {
          'retry-after': '1',
        })
      }
    }
  }
}

/** What partner_send_conflict() raises (Tandem migration 0011); the whole transaction runs again. */
const SERIALIZATION_FAILURE = '40001'
const MAX_ATTEMPTS = 4

async function sendOnce(
  db: Db,
  deps: MessagingDeps & { limits: PartnerApiLimits },
  caller: SendsCaller,
  input: RecommendationInput,
  idempotencyKey: string | undefined,
  reread: boolean,
) {
  const { clock, limits } = deps
  return db.transaction().execute(async (trx) => {
    const now = clock.now()
    const day = utcDay(now)
    const idempotency: IdempotencyId | undefined = idempotencyKey
      ? {
          ownerId: caller.userId,
          scope: `partner:${caller.clientId}:recommendations`,
          key: idempotencyKey,
          requestHash: requestHash(input),
        }
      : undefined
    // App friends are known by their app-scoped id; they are resolved in the first statement.
    const subs = [...new Set(input.recipients.filter((r) => !HANDLE_PATTERN.test(r)))]
    // Every partner send takes the ledger locks of everyone its entries may name before it locks a
    // thread (the last statement), so two sends sharing a thread and users cannot deadlock. Without handles,
    // those are the sender and the app friends the first statement resolves, locked there; a handle's
    // friend is known only once it is spent, so then they are taken after the handles are resolved.
    const lockHere = subs.length === input.recipients.length
    // One sender's sends are counted and written one call at a time, so the daily caps hold: the first
    // statement takes the sender's turn before it takes the ledger locks.
    let prelude = await readPrelude(trx, caller, day, subs, idempotency, { ledgers: lockHere })
    if (!prelude || prelude.app_name === null) {
      throw new AppError(401, 'invalid_token', 'the access token names no user')
    }
    const parse = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value)
    let resolved = parse(prelude.candidates)
    if (!prelude.fresh || reread) {
      // Another send of the sender committed while this one waited for its turn (or another sender's
      // send to a recipient, caught by the last statement): read again, now that every earlier send is
      // visible. Only app friends whose ledger locks were taken above can receive.
      const locked = new Set(resolved.map((c) => c.user_id))
      prelude = (await readPrelude(trx, caller, day, subs, idempotency))!
      resolved = parse(prelude.candidates).filter((c) => !lockHere || locked.has(c.user_id))
    }
    // A key used before: its answer (or 422 for another request); nothing is written.
    if (prelude.stored !== null) return replay<RecommendationResult>(parse(prelude.stored), idempotency!)
    let remaining = limits.senderDailyCap - Number(prelude.sent)
    if (remaining <= 0) {
      throw new AppError(
        429,
        'daily_cap_reached',
        'this user has sent as many recommendations as allowed today',
        undefined,
        { 'retry-after': String(secondsToUtcMidnight(now)) },
      )
    }
    const candidates = new Map(resolved.map((c) => [c.sub, c]))
    const sender = { userId: caller.userId, username: prelude.username, displayName: prelude.display_name }
    const sends: RecommendationResult['sends'] = []
    const ledger: LedgerEntryDraft[] = []
    // Who receives a message, decided before anything is written (a recipient named twice in one call
    // counts toward their cap).
    const deliveries: { sendId: string; friend: Recipient }[] = []
    const receivedNow = new Map<string, number>()
    const recipientRoom = (friend: { received: number }) => limits.recipientDailyCap - friend.received
    for (const recipient of input.recipients) {
      // Past the sender's cap nothing is resolved, so no handle is spent on a send that cannot happen.
      const friend =
        remaining <= 0
          ? undefined
          : HANDLE_PATTERN.test(recipient)
            ? await resolveHandle(trx, now, day, caller, recipient, limits.recipientDailyCap)
            : eligible(caller, 'app_friend', candidates.get(recipient), limits.recipientDailyCap)
      if (!friend?.deliver || (receivedNow.get(friend.userId) ?? 0) >= recipientRoom(friend)) {
        sends.push({ id: newId(), recipient, status: 'not_delivered' })
        continue
      }
      const sendId = newId()
      deliveries.push({ sendId, friend })
      receivedNow.set(friend.userId, (receivedNow.get(friend.userId) ?? 0) + 1)
      remaining--
      sends.push({ id: sendId, recipient, status: 'sent' })
      ledger.push({
        userId: friend.userId,
        clientId: caller.clientId,
        scope: 'recommendations.send',
        action: 'recommendation.received',
        objectCount: 1,
        purpose: 'deliver a recommendation from a friend',
        details: { sendId, titleId: input.title.id },
      })
    }
    const accepted = deliveries.length
    ledger.unshift({
      userId: caller.userId,
      clientId: caller.clientId,
      scope: 'recommendations.send',
      action: 'recommendation.sent',
      objectCount: accepted,
      purpose: 'send the recommendations the user chose',
      details: { titleId: input.title.id, recipients: input.recipients.length, accepted },
    })
    const result = { status: 201, body: { sends } }
    // The Idempotency-Key and its answer ride on the ledger insert, the last statement.
    const stored = idempotency ? [insertKeyWithResponse(idempotency, now, result)] : []
    if (accepted === 0) {
      await appendLedgerEntries(trx, clock, ledger, { alongside: stored })
      return { ...result, replayed: false }
    }
    if (!lockHere) await lockLedgers(trx, ledgerUsers(ledger))
    // The messages, their realtime events, the sends, the day's count (a row that other senders of the day
    // may share, so its lock is held for as short a time as it can be) and the stored answer ride on the
    // ledger insert, the last statement. It runs after the recipients' ledger locks are held, so it
    // counts what they received today again: a send to them that committed after this transaction's
    // first statement began makes it fail (partner_send_conflict) and run again.
    const parts: ReturnType<typeof messageStatementParts>[] = []
    for (const [i, { friend }] of deliveries.entries()) {
      const thread: Pick<Thread, 'id'> = friend.threadId
        ? { id: friend.threadId }
        : (await openDirectThread(trx, clock, caller.userId, friend.userId)).thread
      const message = {
        threadId: thread.id,
        text: input.note ?? '',
        card: { title: input.title.name, imageUrl: input.title.imageUrl ?? null, url: input.title.url },
        via: { clientId: caller.clientId, appName: prelude.app_name },
      }
      parts.push(
        messageStatementParts(deps, sender, thread, message, [caller.userId, friend.userId], `_${i}`),
      )
    }
    const written = deliveries.map(({ sendId, friend }, i) => ({
      id: sendId,
      recipientId: friend.userId,
      kind: friend.kind,
      messageId: parts[i]!.draft.id,
      linkId: parts[i]!.draft.card?.linkId ?? null,
    }))
    await appendLedgerEntries(trx, clock, ledger, {
      locked: true,
      ctes: sql.join(parts.map((p) => p.ctes)),
      alongside: [
        sql`
            with notified as (select ${sql.join(parts.map((p) => p.notification))}),
            w as (select * from ${valuesTable(
              'v',
              { id: 'uuid', recipient_id: 'uuid', kind: 'text', message_id: 'uuid', link_id: 'text' },
              written.map((w) => [w.id, w.recipientId, w.kind, w.messageId, w.linkId]),
            )})
            insert into partner_sends (id, client_id, sender_id, recipient_id, recipient_kind, message_id, link_id,
              day, interface, surface, variant, created_at)
            select w.id, ${caller.clientId}, ${caller.userId}::uuid, w.recipient_id, w.kind, w.message_id, w.link_id,
              ${day}::date, ${input.context.interface}, ${input.context.surface}, ${input.context.variant},
              ${now.toISOString()}::timestamptz
            from w, notified
            where case when exists (
              select 1 from (select recipient_id, count(*) as n from w group by recipient_id) r
              where r.n + (select count(*) from partner_sends s where s.recipient_id = r.recipient_id and s.day = ${day}::date)
                > ${limits.recipientDailyCap}::int
            ) then partner_send_conflict() else true end`,
        sql`
            insert into partner_daily_counts (client_id, day, interface, surface, variant, shard, sends)
            values (${caller.clientId}, ${day}::date, ${input.context.interface}, ${input.context.surface},
              ${input.context.variant}, ${countShard(caller.userId)}::smallint, ${accepted}::int)
            on conflict (client_id, day, interface, surface, variant, shard)
              do update set sends = partner_daily_counts.sends + excluded.sends`,
        ...stored,
      ],
    })
    return { ...result, replayed: false }
  })
}
