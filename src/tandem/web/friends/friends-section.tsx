import { useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import type { Friend } from '../api/types.ts'
import { Link, navigate, paths } from '../lib/router.tsx'
import { useAction } from '../lib/use-action.ts'
import { useApp } from '../state/app-state.ts'
import { upsertThread } from '../state/inbox.ts'
import { changeSocial } from '../state/social.ts'
import { ConfirmActions } from '../ui/confirm-actions.tsx'
import { PersonRow } from './person-row.tsx'

type Pending = { userId: string; action: 'unfriend' | 'block' }

export function FriendsSection() {
  const friends = useApp((s) => s.social.friends)
  const status = useApp((s) => s.social.status)
  const { busy, error, run } = useAction()
  const [confirming, setConfirming] = useState<Pending | null>(null)

  const openChat = (friend: Friend) =>
    run(friend.id, async () => {
      const { thread } = await api.openThread([friend.username])
      upsertThread(thread)
      navigate(paths.thread(thread.id))
    })

  const act = (friend: Friend, action: Pending['action']) =>
    run(friend.id, async () => {
      await changeSocial<unknown>(() => (action === 'block' ? api.block(friend.id) : api.unfriend(friend.id)))
      setConfirming(null)
    })

  return (
    <section aria-labelledby="friends-heading" className="card-section">
      <div className="section-header">
        <h2 id="friends-heading">
          Friends{friends.length > 0 && <span className="count"> {friends.length}</span>}
        </h2>
        {friends.length > 1 && (
          <Link to={paths.newGroup} className="button button-ghost button-small">
            New group
          </Link>
        )}
      </div>
      {status === 'loading' && friends.length === 0 && <p className="muted">Loading friends…</p>}
      {status === 'ready' && friends.length === 0 && (
        <p className="muted">No friends yet. Send a request by username above.</p>
      )}
      <ul className="people" data-testid="friends-list">
        {friends.map((friend) => {
          const pending = confirming?.userId === friend.id ? confirming : null
          return (
            <PersonRow key={friend.id} user={friend} testId="friend" to={paths.profile(friend.username)}>
              {pending ? (
                <ConfirmActions
                  question={
                    pending.action === 'block'
                      ? `Block ${friend.displayName}? They will no longer be able to message you.`
                      : `Unfriend ${friend.displayName}?`
                  }
                  confirmLabel={pending.action === 'block' ? 'Block' : 'Unfriend'}
                  busy={busy === friend.id}
                  onConfirm={() => void act(friend, pending.action)}
                  onCancel={() => setConfirming(null)}
                />
              ) : (
                <>
                  <button
                    type="button"
                    className="button button-primary button-small"
                    disabled={busy === friend.id}
                    aria-label={`Message ${friend.displayName}`}
                    onClick={() => void openChat(friend)}
                  >
                    Message
                  </button>
                  <button
                    type="button"
                    className="button button-small"
                    aria-label={`Unfriend ${friend.displayName}`}
                    onClick={() => setConfirming({ userId: friend.id, action: 'unfriend' })}
                  >
                    Unfriend
                  </button>
                  <button
                    type="button"
                    className="button button-small button-quiet-danger"
                    aria-label={`Block ${friend.displayName}`}
                    onClick={() => setConfirming({ userId: friend.id, action: 'block' })}
                  >
                    Block
                  </button>
                </>
              )}
            </PersonRow>
          )
        })}
      </ul>
      {error && <Notice tone="error">{error}</Notice>}
    </section>
  )
}
