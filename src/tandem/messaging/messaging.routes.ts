import type { FastifyInstance } from 'fastify'
import { AppError } from '../../lib/errors.ts'
import { addRoute } from '../../lib/http/routes.ts'
import { actorOf, sessionGuards } from '../accounts/session.ts'
import type { TandemContext } from '../context.ts'
import { IDEMPOTENCY_KEY_RE } from './idempotency.ts'
import {
  CreateThreadBody,
  InboxQuery,
  MessagesQuery,
  ReadBody,
  SendMessageBody,
  ThreadParams,
} from './messaging.schemas.ts'
import {
  createThread,
  getThreadView,
  listInbox,
  listMessages,
  markRead,
  sendMessage,
} from './messaging.service.ts'

const tags = ['messaging']

export function idempotencyKeyOf(headers: Record<string, unknown>): string | undefined {
  const key = headers['idempotency-key']
  if (key === undefined) return undefined
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY_RE.test(key)) {
    throw new AppError(
      400,
      'invalid_idempotency_key',
      'Idempotency-Key must be 1 to 255 visible ASCII characters',
    )
  }
  return key
}

export function registerMessagingRoutes(app: FastifyInstance, ctx: TandemContext): void {
  const { requireSession } = sessionGuards(ctx)
  const deps = { clock: ctx.clock, origin: ctx.config.publicOrigin }
  const db = ctx.db

  addRoute(
    app,
    'POST',
    '/api/threads',
    {
      summary: 'Open the one-to-one thread with a friend, or start a group with several',
      tags,
      preHandler: requireSession,
      body: CreateThreadBody,
    },
    async (req, reply) => {
      const { thread, created } = await createThread(db, deps, actorOf(req), req.body)
      return reply.code(created ? 201 : 200).send({ thread })
    },
  )

  addRoute(
    app,
    'GET',
    '/api/threads',
    {
      summary: 'The inbox: threads by latest activity, each with its last message and unread count',
      tags,
      preHandler: requireSession,
      query: InboxQuery,
    },
    async (req) => listInbox(db, actorOf(req), req.query),
  )

  addRoute(
    app,
    'GET',
    '/api/threads/:id',
    { summary: 'One thread', tags, preHandler: requireSession, params: ThreadParams },
    async (req) => ({ thread: await getThreadView(db, actorOf(req), req.params.id) }),
  )

  addRoute(
    app,
    'GET',
    '/api/threads/:id/messages',
    {
      summary: 'Messages, oldest first; pass nextCursor as `before` for the page before',
      tags,
      preHandler: requireSession,
      params: ThreadParams,
      query: MessagesQuery,
    },
    async (req) => listMessages(db, deps, actorOf(req), req.params.id, req.query),
  )

  addRoute(
    app,
    'POST',
    '/api/threads/:id/messages',
    {
      summary: 'Send a text or title-card message; honours Idempotency-Key',
      tags,
      preHandler: requireSession,
      params: ThreadParams,
      body: SendMessageBody,
    },
    async (req, reply) => {
      const key = idempotencyKeyOf(req.headers)
      const result = await sendMessage(db, deps, actorOf(req), { threadId: req.params.id, ...req.body }, key)
      if (result.replayed) reply.header('idempotent-replayed', 'true')
      return reply.code(result.status).send(result.body)
    },
  )

  addRoute(
    app,
    'POST',
    '/api/threads/:id/read',
    {
      summary: 'Mark the thread read up to `seq` (default: everything)',
      tags,
      preHandler: requireSession,
      params: ThreadParams,
      body: ReadBody,
    },
    async (req) => markRead(db, actorOf(req), req.params.id, req.body.seq),
  )
}
