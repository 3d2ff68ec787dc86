import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { Username } from '../../lib/account-fields.ts'
import { addRoute } from '../../lib/http/routes.ts'
import { actorOf, sessionGuards } from '../accounts/session.ts'
import type { TandemContext } from '../context.ts'
import { presentFriend, presentRequest } from './social.presenter.ts'
import {
  blockUser,
  cancelRequest,
  listBlocked,
  listFriends,
  listRequests,
  removeFriend,
  requestFriend,
  respondToRequest,
  unblockUser,
} from './social.service.ts'

const tags = ['friends']
const IdParams = z.object({ id: z.uuid() }).strict()
const UserIdParams = z.object({ userId: z.uuid() }).strict()

export function registerSocialRoutes(app: FastifyInstance, ctx: TandemContext): void {
  const { requireSession } = sessionGuards(ctx)
  const { db, clock } = ctx

  addRoute(
    app,
    'POST',
    '/api/friends/requests',
    {
      summary: 'Ask someone to be friends, by username (accepts their request if they already asked)',
      tags,
      preHandler: requireSession,
      body: z.object({ username: Username }).strict(),
    },
    async (req, reply) => {
      const { request, user, created } = await requestFriend(db, clock, actorOf(req), req.body.username)
      return reply.code(created ? 201 : 200).send({ request: presentRequest(request, user) })
    },
  )

  addRoute(
    app,
    'GET',
    '/api/friends/requests',
    { summary: 'Pending friend requests, to and from me', tags, preHandler: requireSession },
    async (req) => {
      const { incoming, outgoing } = await listRequests(db, actorOf(req))
      const present = (r: (typeof incoming)[number]) =>
        presentRequest(r, { id: r.user_id, username: r.username, display_name: r.display_name })
      return { incoming: incoming.map(present), outgoing: outgoing.map(present) }
    },
  )

  for (const [action, answer] of [
    ['accept', 'accepted'],
    ['decline', 'declined'],
  ] as const) {
    addRoute(
      app,
      'POST',
      `/api/friends/requests/:id/${action}`,
      {
        summary: `${action === 'accept' ? 'Accept' : 'Decline'} a friend request`,
        tags,
        preHandler: requireSession,
        params: IdParams,
      },
      async (req) => {
        const { request, user } = await respondToRequest(db, clock, actorOf(req), req.params.id, answer)
        return { request: presentRequest(request, user) }
      },
    )
  }

  addRoute(
    app,
    'DELETE',
    '/api/friends/requests/:id',
    { summary: 'Withdraw a friend request I sent', tags, preHandler: requireSession, params: IdParams },
    async (req, reply) => {
      await cancelRequest(db, clock, actorOf(req), req.params.id)
      return reply.code(204).send()
    },
  )

  addRoute(
    app,
    'GET',
    '/api/friends',
    { summary: 'My friends', tags, preHandler: requireSession },
    async (req) => ({
      friends: (await listFriends(db, actorOf(req))).map(presentFriend),
    }),
  )

  addRoute(
    app,
    'DELETE',
    '/api/friends/:userId',
    { summary: 'Unfriend', tags, preHandler: requireSession, params: UserIdParams },
    async (req, reply) => {
      await removeFriend(db, actorOf(req), req.params.userId)
      return reply.code(204).send()
    },
  )

  addRoute(
    app,
    'POST',
    '/api/blocks',
    {
      summary: 'Block someone: ends the friendship; they can no longer message or ask me',
      tags,
      preHandler: requireSession,
      body: z.union([z.object({ userId: z.uuid() }).strict(), z.object({ username: Username }).strict()]),
    },
    async (req, reply) => {
      const user = await blockUser(db, clock, actorOf(req), req.body)
      return reply.code(201).send({ block: { userId: user.id, username: user.username } })
    },
  )

  addRoute(
    app,
    'GET',
    '/api/blocks',
    { summary: 'People I blocked', tags, preHandler: requireSession },
    async (req) => ({
      blocks: (await listBlocked(db, actorOf(req))).map(presentFriend),
    }),
  )

  addRoute(
    app,
    'DELETE',
    '/api/blocks/:userId',
    { summary: 'Unblock', tags, preHandler: requireSession, params: UserIdParams },
    async (req, reply) => {
      await unblockUser(db, actorOf(req), req.params.userId)
      return reply.code(204).send()
    },
  )
}
