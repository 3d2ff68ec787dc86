import { type FormEvent, useEffect, useState } from 'react'
import { Field } from '../../../lib/web/ui/field.tsx'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, navigate, paths } from '../lib/router.tsx'
import { useApp } from '../state/app-state.ts'
import { upsertThread } from '../state/inbox.ts'
import { loadSocial } from '../state/social.ts'
import { Avatar } from '../ui/avatar.tsx'

export function NewGroupPage() {
  usePageTitle('New group')
  const friends = useApp((s) => s.social.friends)
  const status = useApp((s) => s.social.status)
  const [title, setTitle] = useState('')
  const [chosen, setChosen] = useState<Set<string>>(new Set())
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    void loadSocial()
  }, [])

  const toggle = (username: string) =>
    setChosen((current) => {
      const next = new Set(current)
      if (next.has(username)) next.delete(username)
      else next.add(username)
      return next
    })

  async function submit(event: FormEvent) {
    event.preventDefault()
    if (chosen.size === 0) {
      setError('Pick at least one friend.')
      return
    }
    setBusy(true)
    setError(null)
    try {
      const { thread } = await api.openThread([...chosen], title.trim() || undefined)
      upsertThread(thread)
      navigate(paths.thread(thread.id))
    } catch (failure) {
      setError(describeError(failure))
      setBusy(false)
    }
  }

  return (
    <div className="page-content" data-testid="new-group-page">
      <h1 tabIndex={-1}>New group</h1>
      {status === 'ready' && friends.length === 0 ? (
        <p className="muted">
          Groups are made of friends. <Link to={paths.friends}>Add some friends</Link> first.
        </p>
      ) : (
        <form onSubmit={submit} className="card-section">
          <Field
            label="Group name"
            name="title"
            maxLength={80}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            hint="Optional. Without a name, the group is called after its members."
          />
          <fieldset className="choose-friends">
            <legend>
              Members {chosen.size > 0 && <span className="count">({chosen.size} chosen)</span>}
            </legend>
            <ul className="people">
              {friends.map((friend) => (
                <li key={friend.id} className="person-row">
                  <input
                    type="checkbox"
                    id={`member-${friend.id}`}
                    checked={chosen.has(friend.username)}
                    onChange={() => toggle(friend.username)}
                  />
                  <label htmlFor={`member-${friend.id}`} className="person-row-label">
                    <Avatar id={friend.id} name={friend.displayName} size="sm" />
                    <span className="person-row-text">
                      <span className="person-row-name">{friend.displayName}</span>
                      <span className="person-row-detail">@{friend.username}</span>
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
          {chosen.size === 1 && !title.trim() && (
            <p className="muted small">With one friend and no name, this opens your one-to-one chat.</p>
          )}
          {error && <Notice tone="error">{error}</Notice>}
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? 'Creating…' : 'Create group'}
            </button>
            <Link to={paths.inbox} className="button">
              Cancel
            </Link>
          </div>
        </form>
      )}
    </div>
  )
}
