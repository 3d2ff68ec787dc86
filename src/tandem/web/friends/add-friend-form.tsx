import { type FormEvent, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { ApiError, describeError } from '../api/http.ts'
import { changeSocial } from '../state/social.ts'

type Outcome = { tone: 'success' | 'error' | 'info'; text: string }

function failureText(error: unknown, username: string): string {
  if (error instanceof ApiError) {
    if (error.code === 'user_not_found')
      return `No one is called “${username}” on Tandem. Check the spelling.`
    if (error.code === 'already_friends') return `You and ${username} are already friends.`
    if (error.code === 'validation_failed') return 'Usernames are 3 to 30 letters, digits or underscores.'
  }
  return describeError(error)
}

export function AddFriendForm() {
  const [username, setUsername] = useState('')
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<Outcome | null>(null)

  async function submit(event: FormEvent) {
    event.preventDefault()
    const name = username.trim().replace(/^@/, '')
    if (!name) return
    setBusy(true)
    setOutcome(null)
    try {
      const { request } = await changeSocial(() => api.sendRequest(name))
      const who = request.user.displayName
      if (request.status === 'accepted')
        setOutcome({ tone: 'success', text: `You and ${who} are now friends.` })
      else setOutcome({ tone: 'success', text: `Friend request sent to ${who}.` })
      setUsername('')
    } catch (error) {
      setOutcome({ tone: 'error', text: failureText(error, name) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card-section" onSubmit={submit} aria-labelledby="add-friend-heading">
      <h2 id="add-friend-heading">Add a friend</h2>
      <div className="inline-form">
        <label htmlFor="friend-username" className="sr-only">
          Username
        </label>
        <input
          id="friend-username"
          name="username"
          placeholder="Their username"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          data-testid="add-friend-input"
        />
        <button type="submit" className="button button-primary" disabled={busy || !username.trim()}>
          {busy ? 'Sending…' : 'Send request'}
        </button>
      </div>
      {outcome && (
        <Notice tone={outcome.tone} testId="add-friend-outcome">
          {outcome.text}
        </Notice>
      )}
    </form>
  )
}
