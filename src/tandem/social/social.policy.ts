import { AppError, notFound } from '../../lib/errors.ts'
import { definePolicies, type Rule } from '../../lib/policy.ts'
import type { Actor } from '../accounts/accounts.service.ts'

interface RequestRow {
  from_user_id: string
  to_user_id: string
  status: string
}
interface Relation {
  targetId: string
  blockedByTarget: boolean
  blockedByActor: boolean
}

const requestNotFound = () => notFound('friend_request')

export const socialPolicy = definePolicies({
  'friend_request:create': {
    allow: (actor: Actor, r: Relation) =>
      r.targetId !== actor.userId && !r.blockedByTarget && !r.blockedByActor,
    deny: () =>
      new AppError(403, 'friend_request_not_allowed', 'you cannot send this person a friend request'),
  } satisfies Rule<Actor, Relation>,
  'friend_request:respond': {
    allow: (actor: Actor, r: RequestRow) => r.to_user_id === actor.userId && r.status === 'pending',
    deny: requestNotFound,
  } satisfies Rule<Actor, RequestRow>,
  'friend_request:cancel': {
    allow: (actor: Actor, r: RequestRow) => r.from_user_id === actor.userId && r.status === 'pending',
    deny: requestNotFound,
  } satisfies Rule<Actor, RequestRow>,
})
