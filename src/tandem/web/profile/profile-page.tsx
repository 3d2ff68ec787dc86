import { useCallback } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { useResource } from '../../../lib/web/use-resource.ts'
import { api } from '../api/endpoints.ts'
import type { ActivityItem } from '../api/types.ts'
import { fromNow, fullTime, webUrl } from '../lib/format.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { useAction } from '../lib/use-action.ts'
import { useApp, useMe } from '../state/app-state.ts'
import { Avatar } from '../ui/avatar.tsx'

const verb = (kind: ActivityItem['kind']) => (kind === 'finished' ? 'finished' : 'is watching')

function ActivityRow({
  item,
  name,
  own,
  busy,
  onDelete,
}: {
  item: ActivityItem
  name: string
  own: boolean
  busy: boolean
  onDelete: () => void
}) {
  const href = webUrl(item.title.url)
  const image = webUrl(item.title.imageUrl)
  return (
    <li className="activity-item" data-testid="activity-item" data-activity-id={item.id}>
      {image && (
        <img className="activity-image" src={image} alt="" loading="lazy" referrerPolicy="no-referrer" />
      )}
      <span className="activity-text">
        <span>
          {own ? 'You' : name} {own && item.kind === 'watching' ? 'are watching' : verb(item.kind)}{' '}
          {href ? (
            <a href={href} rel="noopener noreferrer" target="_blank">
              {item.title.name}
            </a>
          ) : (
            <strong>{item.title.name}</strong>
          )}{' '}
          on {item.partner.name}
        </span>
        <time className="activity-time" dateTime={item.createdAt} title={fullTime(item.createdAt)}>
          {fromNow(item.createdAt)}
        </time>
      </span>
      {own && (
        <button
          type="button"
          className="button button-small button-quiet-danger"
          disabled={busy}
          aria-label={`Delete ${item.title.name} from your profile`}
          onClick={onDelete}
        >
          Delete
        </button>
      )}
    </li>
  )
}

/** A person's page: their name and what their partner apps reported they watch (friends and themselves only). */
export function ProfilePage({ username }: { username: string }) {
  const me = useMe()
  const friend = useApp((s) => s.social.friends.find((f) => f.username === username))
  const own = me.username === username
  const person = own ? me : friend
  const displayName = person?.displayName ?? `@${username}`
  usePageTitle(displayName)
  const load = useCallback((signal: AbortSignal) => api.activity(username, signal), [username])
  const activity = useResource(load)
  const { busy, error, run } = useAction()
  const remove = (id: string) =>
    run(id, async () => {
      await api.deleteActivity(id)
      await activity.reload()
    })
  const items = activity.data?.items ?? []
  const firstName = displayName.split(/\s+/)[0] ?? displayName

  return (
    <div className="page-content" data-testid="profile-page" data-username={username}>
      <div className="profile-header">
        <Avatar id={person?.id ?? username} name={displayName} />
        <div>
          <h1 tabIndex={-1} data-testid="profile-name">
            {displayName}
          </h1>
          <p className="muted">@{username}</p>
        </div>
      </div>
      <section className="card-section" aria-labelledby="activity-heading">
        <h2 id="activity-heading">Recently on partner apps</h2>
        {activity.status === 'loading' && <p className="muted">Loading…</p>}
        {activity.status === 'error' && <Notice tone="error">{activity.error}</Notice>}
        {activity.status === 'ready' && items.length === 0 && (
          <p className="muted" data-testid="activity-empty">
            {own ? (
              <>
                Nothing yet. Apps you connect can post what you watch here, while{' '}
                <Link to={paths.settings}>Settings</Link> allows it.
              </>
            ) : (
              'Nothing shared recently.'
            )}
          </p>
        )}
        {items.length > 0 && (
          <ul className="activity-list" data-testid="activity-list">
            {items.map((item) => (
              <ActivityRow
                key={item.id}
                item={item}
                name={firstName}
                own={own}
                busy={busy === item.id}
                onDelete={() => void remove(item.id)}
              />
            ))}
          </ul>
        )}
        {own && items.length > 0 && (
          <p className="field-hint">
            Only you and your friends see this. Deleting an item removes it for everyone.
          </p>
        )}
        {error && <Notice tone="error">{error}</Notice>}
      </section>
    </div>
  )
}
