import { sql } from 'kysely'
import type { Clock } from '../../lib/clock.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { findUserById, findUserByUsername } from '../accounts/accounts.repository.ts'
import type { Db, Thread, TitleCard } from '../db.ts'
import { findUrls, planLinks } from '../links/links.service.ts'
import { eventNotification, publishEvent, type RealtimeEvent, SEQ_PLACEHOLDER } from '../realtime/events.ts'
import { areFriends } from '../social/social.service.ts'
import { once, requestHash, type StoredResponse } from './idempotency.ts'
import { messagingPolicy } from './messaging.policy.ts'
import { type PresentedMessage, presentMessage, presentThread } from './messaging.presenter.ts'
import {
  appendMessageRow,
  findMessageWithSender,
  findThreadByDirectKey,
  findThreadForMember,
  insertThread,
  type MessageDraft,
  messageRowCtes,
  selectInbox,
  selectMemberIds,
  selectMembers,
  selectMembersWithBlocks,
  selectMessages,
  updateReadSeq,
} from './messaging.repository.ts'

export interface MessagingDeps {
  clock: Clock
  /** Tandem's public origin, for shim links. */
  origin: string
}

interface Viewer {
  userId: string
  /** Known for a signed-in person; spares a lookup when presenting their own message. */
  username?: string
  displayName?: string
}

export const MAX_GROUP_MEMBERS = 50

const directKey = (a: string, b: string) => (a < b ? `${a}:${b}` : `${b}:${a}`)

/** Loads a thread the viewer belongs to; anyone else gets the same 404 as for a thread that does not exist. */
async function threadForViewer(db: Db, viewer: Viewer, threadId: string): Promise<{ thread: Thread }> {
  const row = await findThreadForMember(db, threadId, viewer.userId)
  messagingPolicy.authorize(viewer, 'thread:read', { isMember: row?.is_member === true, blocked: false })
  const { is_member: _member, ...thread } = row!
  return { thread }
}

/** The one-to-one thread of two users, created on first use. */
export async function openDirectThread(
  db: Db,
  clock: Clock,
  a: string,
  b: string,
): Promise<{ thread: Thread; created: boolean }> {
  const key = directKey(a, b)
  const existing = await findThreadByDirectKey(db, key)
  if (existing) return { thread: existing, created: false }
  const inserted = await insertThread(
    db,
    { id: newId(), kind: 'direct', title: null, directKey: key, createdBy: a, now: clock.now() },
    [a, b],
  )
  if (inserted) return { thread: inserted, created: true }
  // Another request created it between our look and our insert.
  return { thread: (await findThreadByDirectKey(db, key))!, created: false }
}

export async function createThread(
  db: Db,
  deps: MessagingDeps,
  viewer: Viewer,
  input: { usernames: string[]; title?: string | undefined },
) {
  return db.transaction().execute(async (trx) => {
    const others = new Map<string, string>()
    for (const username of input.usernames) {
      const user = await findUserByUsername(trx, username)
      if (!user || user.id === viewer.userId) {
        throw new AppError(404, 'user_not_found', `no user named ${username}`, { username })
      }
      if (!(await areFriends(trx, viewer.userId, user.id))) {
        throw new AppError(403, 'not_friends', `you can only start a conversation with friends`, { username })
      }
      others.set(user.id, user.username)
    }
    if (others.size === 0) throw new AppError(400, 'validation_failed', 'name at least one friend')
    if (others.size + 1 > MAX_GROUP_MEMBERS) {
      throw new AppError(400, 'too_many_members', `a group has at most ${MAX_GROUP_MEMBERS} members`)
    }
    const ids = [...others.keys()]
    let thread: Thread
    let created: boolean
    if (ids.length === 1 && !input.title) {
      ;({ thread, created } = await openDirectThread(trx, deps.clock, viewer.userId, ids[0]!))
    } else {
      thread = (await insertThread(
        trx,
        {
          id: newId(),
          kind: 'group',
          title: input.title ?? null,
          directKey: null,
          createdBy: viewer.userId,
          now: deps.clock.now(),
        },
        [viewer.userId, ...ids],
      ))!
      created = true
    }
    if (created) {
      await publishEvent(trx, { type: 'thread.created', to: [viewer.userId, ...ids], threadId: thread.id })
    }
    return { thread: await getThreadView(trx, viewer, thread.id), created }
  })
}

export async function getThreadView(db: Db, viewer: Viewer, threadId: string) {
  await threadForViewer(db, viewer, threadId)
  const rows = await selectInbox(db, viewer.userId, { limit: 1, threadId })
  const row = rows[0]
  if (!row) throw notFound('thread')
  return presentThread(row, await selectMembers(db, [threadId]), viewer.userId)
}

const encodeCursor = (at: Date, id: string) => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url')
function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|')
  const date = new Date(at ?? '')
  const year = date.getUTCFullYear()
  if (!id || Number.isNaN(date.getTime()) || year < 1 || year > 9999 || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new AppError(400, 'invalid_cursor', 'the cursor is not valid')
  }
  return { at: date, id }
}

export async function listInbox(
  db: Db,
  viewer: Viewer,
  options: { limit: number; before?: string | undefined },
) {
  const rows = await selectInbox(db, viewer.userId, {
    limit: options.limit + 1,
    before: options.before ? decodeCursor(options.before) : undefined,
  })
  const page = rows.slice(0, options.limit)
  const members = await selectMembers(
    db,
    page.map((r) => r.id),
  )
  const last = page.at(-1)
  return {
    threads: page.map((row) =>
      presentThread(
        row,
        members.filter((m) => m.thread_id === row.id),
        viewer.userId,
      ),
    ),
    nextCursor: rows.length > options.limit && last ? encodeCursor(last.activity_at, last.id) : null,
  }
}

export async function listMessages(
  db: Db,
  deps: MessagingDeps,
  viewer: Viewer,
  threadId: string,
  options: { before?: number | undefined; limit: number },
) {
  await threadForViewer(db, viewer, threadId)
  const rows = await selectMessages(db, threadId, { beforeSeq: options.before, limit: options.limit + 1 })
  const page = rows.slice(0, options.limit).reverse()
  return {
    messages: page.map((row) => presentMessage(row, deps.origin)),
    nextCursor: rows.length > options.limit && page[0] ? String(page[0].seq) : null,
  }
}

export interface SendInput {
  threadId: string
  text: string
  card?: { title: string; imageUrl?: string | null | undefined; url: string } | undefined
  /** Set when a partner sends through the Inbox API: its client id and name label the message. */
  via?: { clientId: string; appName: string } | undefined
}

/**
 * Appends a message to a thread and fans it out to every member's open tabs once committed.
 * With an idempotency key, a repeat returns the first answer and writes nothing.
 */
export async function sendMessage(
  db: Db,
  deps: MessagingDeps,
  viewer: Viewer,
  input: SendInput,
  idempotencyKey?: string,
): Promise<StoredResponse<{ message: PresentedMessage }>> {
  return db.transaction().execute(async (trx) => {
    const { thread } = await threadForViewer(trx, viewer, input.threadId)
    const members = await selectMembersWithBlocks(trx, thread.id, viewer.userId)
    messagingPolicy.authorize(viewer, 'message:send', {
      isMember: true,
      blocked: thread.kind === 'direct' && members.some((m) => m.blocked),
    })
    const memberIds = members.map((m) => m.user_id)
    const effect = () => appendMessage(trx, deps, viewer, thread, input, memberIds)
    if (!idempotencyKey) return { ...(await effect()), replayed: false }
    return once(
      trx,
      deps.clock,
      {
        ownerId: viewer.userId,
        scope: `thread:${thread.id}`,
        key: idempotencyKey,
        requestHash: requestHash(input),
      },
      effect,
    )
  })
}

/** The message `input` makes, before it is written: its ids, its card and its shim links. */
function draftMessage(deps: MessagingDeps, viewer: Viewer, thread: Pick<Thread, 'id'>, input: SendInput) {
  const cardLinks = input.card ? planLinks([input.card.url]) : []
  const textLinks = planLinks(findUrls(input.text))
  const card: TitleCard | null = input.card
    ? {
        title: input.card.title,
        imageUrl: input.card.imageUrl ?? null,
        url: input.card.url,
        appName: input.via?.appName ?? null,
        linkId: cardLinks[0]!.id,
      }
    : null
  return {
    id: newId(),
    threadId: thread.id,
    senderId: viewer.userId,
    kind: card ? 'title_card' : 'text',
    body: input.text,
    card,
    links: textLinks,
    shimLinks: [...cardLinks, ...textLinks],
    viaClientId: input.via?.clientId ?? null,
    now: deps.clock.now(),
    // A first-party sender has read everything up to their own message; a partner send marks nothing read.
    markRead: !input.via,
  } satisfies MessageDraft
}

/** The event that tells the thread's members' open tabs about `message`. */
const messageCreated = (message: PresentedMessage, memberIds: string[]): RealtimeEvent => ({
  type: 'message.created',
  to: memberIds,
  threadId: message.threadId,
  messageId: message.id,
  message,
})

/** The write itself, inside the caller's transaction: sequence, message, links, read marker, realtime event. */
export async function appendMessage(
  db: Db,
  deps: MessagingDeps,
  viewer: Viewer,
  thread: Pick<Thread, 'id'>,
  input: SendInput,
  memberIds?: string[],
) {
  // The message and its shim links are written in one statement.
  const row = await appendMessageRow(db, draftMessage(deps, viewer, thread, input))
  const sender =
    viewer.username !== undefined && viewer.displayName !== undefined
      ? { username: viewer.username, display_name: viewer.displayName }
      : await findUserById(db, viewer.userId)
  const message = presentMessage(
    { ...row, sender_username: sender?.username ?? '', sender_display_name: sender?.display_name ?? '' },
    deps.origin,
  )
  await publishEvent(db, messageCreated(message, memberIds ?? (await selectMemberIds(db, thread.id))))
  return { status: 201, body: { message } }
}

/**
 * appendMessage for a caller that writes the message inside one of its own statements, which starts
 * with `ctes` (messageRowCtes, named with `suffix`) and evaluates `notification`, the pg_notify of the
 * message's event with the sequence number that statement takes.
 */
export function messageStatementParts(
  deps: MessagingDeps,
  sender: Required<Viewer>,
  thread: Pick<Thread, 'id'>,
  input: SendInput,
  memberIds: string[],
  suffix: string,
) {
  const draft = draftMessage(deps, sender, thread, input)
  const message = presentMessage(
    {
      ...draft,
      thread_id: draft.threadId,
      sender_id: draft.senderId,
      via_client_id: draft.viaClientId,
      created_at: draft.now,
      seq: SEQ_PLACEHOLDER,
      sender_username: sender.username,
      sender_display_name: sender.displayName,
    },
    deps.origin,
  )
  return {
    draft,
    ctes: messageRowCtes(draft, suffix),
    notification: eventNotification(
      messageCreated(message, memberIds),
      sql`(select last_seq from ${sql.raw(`next${suffix}`)})`,
    ),
  }
}

export async function markRead(db: Db, viewer: Viewer, threadId: string, seq?: number) {
  return db.transaction().execute(async (trx) => {
    const { thread } = await threadForViewer(trx, viewer, threadId)
    const lastReadSeq = await updateReadSeq(
      trx,
      threadId,
      viewer.userId,
      Math.min(seq ?? thread.last_seq, thread.last_seq),
    )
    await publishEvent(trx, { type: 'thread.read', to: [viewer.userId], threadId, lastReadSeq })
    return { lastReadSeq, unreadCount: Math.max(0, thread.last_seq - lastReadSeq) }
  })
}

/** Loads one message for delivery when it was too large to travel inside the NOTIFY payload. */
export async function loadPresentedMessage(db: Db, origin: string, messageId: string) {
  const row = await findMessageWithSender(db, messageId)
  return row ? presentMessage(row, origin) : undefined
}
