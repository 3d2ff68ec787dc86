import { AppError, notFound } from '../../lib/errors.ts'
import { definePolicies, type Rule } from '../../lib/policy.ts'

interface Viewer {
  userId: string
}
interface ThreadAccess {
  isMember: boolean
  /** For a direct thread: a block exists between the two members. */
  blocked: boolean
}

const threadNotFound = () => notFound('thread')

export const messagingPolicy = definePolicies({
  // Someone outside a thread cannot tell it exists (SECURITY.md row 41).
  'thread:read': {
    allow: (_viewer: Viewer, t: ThreadAccess) => t.isMember,
    deny: threadNotFound,
  } satisfies Rule<Viewer, ThreadAccess>,
  'message:send': {
    allow: (_viewer: Viewer, t: ThreadAccess) => t.isMember && !t.blocked,
    deny: () => new AppError(403, 'blocked', 'you cannot message this person'),
  } satisfies Rule<Viewer, ThreadAccess>,
})
