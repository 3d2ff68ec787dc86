import { sql } from 'kysely'
import { valuesTable } from '../../lib/db.ts'
import type { Db, Message, MessageLink, Thread, TitleCard } from '../db.ts'

export async function selectMemberIds(db: Db, threadId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('thread_members')
    .select('user_id')
    .where('thread_id', '=', threadId)
    .execute()
  return rows.map((r) => r.user_id)
}

export async function selectMembers(db: Db, threadIds: string[]) {
  if (threadIds.length === 0) return []
  return db
    .selectFrom('thread_members')
    .innerJoin('users', 'users.id', 'thread_members.user_id')
    .select(['thread_members.thread_id', 'users.id', 'users.username', 'users.display_name'])
    .where('thread_members.thread_id', 'in', threadIds)
    .orderBy('thread_members.joined_at')
    .orderBy('users.id')
    .execute()
}

export async function insertThread(
  db: Db,
  thread: {
    id: string
    kind: 'direct' | 'group'
    title: string | null
    directKey: string | null
    createdBy: string
    now: Date
  },
  memberIds: string[],
): Promise<Thread | undefined> {
  const row = await db
    .insertInto('threads')
    .values({
      id: thread.id,
      kind: thread.kind,
      title: thread.title,
      direct_key: thread.directKey,
      created_by: thread.createdBy,
      created_at: thread.now,
    })
    .onConflict((oc) => oc.column('direct_key').doNothing())
    .returningAll()
    .executeTakeFirst()
  if (!row) return undefined
  await db
    .insertInto('thread_members')
    .values(memberIds.map((user_id) => ({ thread_id: row.id, user_id, joined_at: thread.now })))
    .execute()
  return row
}

export async function findThreadByDirectKey(db: Db, key: string): Promise<Thread | undefined> {
  return db.selectFrom('threads').selectAll().where('direct_key', '=', key).executeTakeFirst()
}

/** The inbox: my threads, most recent activity first, with the last message and my unread count. */
export async function selectInbox(
  db: Db,
  userId: string,
  options: { limit: number; before?: { at: Date; id: string } | undefined; threadId?: string },
) {
  const activity = sql<Date>`coalesce(threads.last_message_at, threads.created_at)`
  let query = db
    .selectFrom('thread_members')
    .innerJoin('threads', 'threads.id', 'thread_members.thread_id')
    .leftJoin('messages as last', (join) =>
      join.onRef('last.thread_id', '=', 'threads.id').onRef('last.seq', '=', 'threads.last_seq'),
    )
    .leftJoin('users as last_sender', 'last_sender.id', 'last.sender_id')
    .selectAll('threads')
    .select([
      'thread_members.last_read_seq',
      activity.as('activity_at'),
      'last.id as last_id',
      'last.kind as last_kind',
      'last.body as last_body',
      'last.card as last_card',
      'last.via_client_id as last_via_client_id',
      'last.created_at as last_created_at',
      'last.sender_id as last_sender_id',
      'last_sender.display_name as last_sender_name',
    ])
    .where('thread_members.user_id', '=', userId)
  if (options.threadId) query = query.where('threads.id', '=', options.threadId)
  if (options.before) {
    const { at, id } = options.before
    query = query.where(sql<boolean>`(${activity}, threads.id) < (${at}, ${id})`)
  }
  return query.orderBy(activity, 'desc').orderBy('threads.id', 'desc').limit(options.limit).execute()
}

export type InboxRow = Awaited<ReturnType<typeof selectInbox>>[number]

const messageColumns = [
  'messages.id',
  'messages.thread_id',
  'messages.seq',
  'messages.sender_id',
  'messages.kind',
  'messages.body',
  'messages.card',
  'messages.links',
  'messages.via_client_id',
  'messages.created_at',
  'users.username as sender_username',
  'users.display_name as sender_display_name',
] as const

export async function selectMessages(
  db: Db,
  threadId: string,
  options: { beforeSeq?: number | undefined; limit: number },
) {
  let query = db
    .selectFrom('messages')
    .innerJoin('users', 'users.id', 'messages.sender_id')
    .select(messageColumns)
    .where('messages.thread_id', '=', threadId)
  if (options.beforeSeq !== undefined) query = query.where('messages.seq', '<', options.beforeSeq)
  return query.orderBy('messages.seq', 'desc').limit(options.limit).execute()
}

export async function findMessageWithSender(db: Db, messageId: string) {
  return db
    .selectFrom('messages')
    .innerJoin('users', 'users.id', 'messages.sender_id')
    .select(messageColumns)
    .where('messages.id', '=', messageId)
    .executeTakeFirst()
}

export type MessageRow = NonNullable<Awaited<ReturnType<typeof findMessageWithSender>>>

export async function updateReadSeq(db: Db, threadId: string, userId: string, seq: number): Promise<number> {
  const row = await db
    .updateTable('thread_members')
    .set({ last_read_seq: sql`greatest(last_read_seq, ${seq})` })
    .where('thread_id', '=', threadId)
    .where('user_id', '=', userId)
    .returning('last_read_seq')
    .executeTakeFirstOrThrow()
  return row.last_read_seq
}

/** The thread and whether `userId` is in it, in one round trip. */
export async function findThreadForMember(db: Db, threadId: string, userId: string) {
  return db
    .selectFrom('threads')
    .leftJoin('thread_members as m', (join) =>
      join.onRef('m.thread_id', '=', 'threads.id').on('m.user_id', '=', userId),
    )
    .selectAll('threads')
    .select(sql<boolean>`m.user_id is not null`.as('is_member'))
    .where('threads.id', '=', threadId)
    .executeTakeFirst()
}

/** Every member of a thread, each with whether a block stands between them and `viewerId`. */
export async function selectMembersWithBlocks(db: Db, threadId: string, viewerId: string) {
  return db
    .selectFrom('thread_members as m')
    .select([
      'm.user_id',
      sql<boolean>`exists (select 1 from blocks b where (b.blocker_id = ${viewerId} and b.blocked_id = m.user_id)
        or (b.blocker_id = m.user_id and b.blocked_id = ${viewerId}))`.as('blocked'),
    ])
    .where('m.thread_id', '=', threadId)
    .execute()
}

/** A message about to be written, with its shim links (planLinks). */
export interface MessageDraft {
  id: string
  threadId: string
  senderId: string
  kind: 'text' | 'title_card'
  body: string
  card: TitleCard | null
  links: MessageLink[]
  /** The shim links to save with the message: the card's and the text's. */
  shimLinks: MessageLink[]
  viaClientId: string | null
  now: Date
  markRead: boolean
}

/**
 * The CTEs that take the thread's next sequence number, insert the message and its shim links and (for
 * a first-party sender) move the sender's read marker, for a statement to start with. They are named
 * with `suffix`, so that one statement can write several messages: `next${suffix}` holds the new
 * sequence number (last_seq) and `inserted${suffix}` the message row. The thread row's lock orders
 * concurrent sends.
 */
export function messageRowCtes(message: MessageDraft, suffix = '') {
  const [next, inserted] = [sql.raw(`next${suffix}`), sql.raw(`inserted${suffix}`)]
  const read = message.markRead
    ? sql`, ${sql.raw(`read${suffix}`)} as (
      update thread_members set last_read_seq = greatest(last_read_seq, (select seq from ${inserted}))
      where thread_id = ${message.threadId} and user_id = ${message.senderId}
    )`
    : sql``
  const saved =
    message.shimLinks.length === 0
      ? sql``
      : sql`, ${sql.raw(`saved${suffix}`)} as (
      insert into links (id, url, message_id, via_client_id, created_at)
      select l.id, l.url, ${inserted}.id, ${inserted}.via_client_id, ${inserted}.created_at
      from ${valuesTable(
        'l',
        { id: 'text', url: 'text' },
        message.shimLinks.map((l) => [l.id, l.url]),
      )}, ${inserted}
    )`
  return sql`${next} as (
      update threads set last_seq = last_seq + 1, last_message_at = ${message.now}
      where id = ${message.threadId} returning last_seq
    ), ${inserted} as (
      insert into messages (id, thread_id, seq, sender_id, kind, body, card, links, via_client_id, created_at)
      select ${message.id}, ${message.threadId}, ${next}.last_seq, ${message.senderId}, ${message.kind}, ${message.body},
        ${message.card ? JSON.stringify(message.card) : null}::jsonb, ${JSON.stringify(message.links)}::jsonb,
        ${message.viaClientId}, ${message.now}
      from ${next}
      returning *
    )${read}${saved}`
}

/** Writes a message (messageRowCtes) in one statement. */
export async function appendMessageRow(db: Db, message: MessageDraft): Promise<Message> {
  const result = await sql<Message>`with ${messageRowCtes(message)} select * from inserted`.execute(db)
  return result.rows[0]!
}
