import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { useAction } from '../lib/use-action.ts'
import { useApp } from '../state/app-state.ts'
import { changeSocial } from '../state/social.ts'
import { PersonRow } from './person-row.tsx'

export function BlockedSection() {
  const blocks = useApp((s) => s.social.blocks)
  const { busy, error, run } = useAction()
  if (blocks.length === 0) return null
  return (
    <section aria-labelledby="blocked-heading" className="card-section">
      <h2 id="blocked-heading">Blocked</h2>
      <ul className="people" data-testid="blocked-list">
        {blocks.map((user) => (
          <PersonRow key={user.id} user={user} testId="blocked">
            <button
              type="button"
              className="button button-small"
              disabled={busy === user.id}
              aria-label={`Unblock ${user.displayName}`}
              onClick={() => void run(user.id, () => changeSocial(() => api.unblock(user.id)))}
            >
              Unblock
            </button>
          </PersonRow>
        ))}
      </ul>
      {error && <Notice tone="error">{error}</Notice>}
    </section>
  )
}
