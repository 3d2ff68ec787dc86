import { type FormEvent, useState } from 'react'
import { Field } from '../../../lib/web/ui/field.tsx'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { useMe } from '../state/app-state.ts'
import { logOut, updateMe } from '../state/session.ts'

type Status = { tone: 'success' | 'error'; text: string } | null

function ProfileForm() {
  const me = useMe()
  const [displayName, setDisplayName] = useState(me.displayName)
  const [busy, setBusy] = useState(false)
  const [status, setStatus] = useState<Status>(null)

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setStatus(null)
    try {
      const { user } = await api.updateMe({ displayName: displayName.trim() })
      updateMe(user)
      setStatus({ tone: 'success', text: 'Saved.' })
    } catch (error) {
      setStatus({ tone: 'error', text: describeError(error) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="card-section" onSubmit={submit} aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <Field
        label="Display name"
        name="displayName"
        maxLength={60}
        value={displayName}
        onChange={(e) => setDisplayName(e.target.value)}
        hint={`Friends see this name. Your username is @${me.username}.`}
      />
      {status && <Notice tone={status.tone}>{status.text}</Notice>}
      <div className="form-actions">
        <button
          type="submit"
          className="button button-primary"
          disabled={busy || !displayName.trim() || displayName.trim() === me.displayName}
        >
          Save
        </button>
      </div>
    </form>
  )
}

function SuggestionsSetting() {
  const me = useMe()
  const [busy, setBusy] = useState(false)
  const [status, setStatus] = useState<Status>(null)

  async function toggle(allowSuggestions: boolean) {
    setBusy(true)
    setStatus(null)
    try {
      const { user } = await api.updateMe({ allowSuggestions })
      updateMe(user)
      setStatus({ tone: 'success', text: allowSuggestions ? 'Turned on.' : 'Turned off.' })
    } catch (error) {
      setStatus({ tone: 'error', text: describeError(error) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card-section" aria-labelledby="privacy-heading">
      <h2 id="privacy-heading">Privacy</h2>
      <div className="switch-row">
        <input
          type="checkbox"
          role="switch"
          id="allow-suggestions"
          className="switch"
          checked={me.allowSuggestions}
          aria-checked={me.allowSuggestions}
          disabled={busy}
          aria-describedby="allow-suggestions-hint"
          onChange={(e) => void toggle(e.target.checked)}
          data-testid="allow-suggestions"
        />
        <div>
          <label htmlFor="allow-suggestions">
            Let partner apps suggest their app to me when friends share
          </label>
          <p className="field-hint" id="allow-suggestions-hint">
            When a friend shares from an app you do not use, the app may offer you to them as a recipient. It
            gets your name and a single-use handle, never an id that follows you. Off unless you turn it on.
          </p>
        </div>
      </div>
      {status && <Notice tone={status.tone}>{status.text}</Notice>}
    </section>
  )
}

function PartnerActivitySetting() {
  const me = useMe()
  const [busy, setBusy] = useState(false)
  const [status, setStatus] = useState<Status>(null)

  async function toggle(partnerActivityEnabled: boolean) {
    setBusy(true)
    setStatus(null)
    try {
      const { user } = await api.updateMe({ partnerActivityEnabled })
      updateMe(user)
      setStatus({ tone: 'success', text: partnerActivityEnabled ? 'Turned on.' : 'Turned off.' })
    } catch (error) {
      setStatus({ tone: 'error', text: describeError(error) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card-section" aria-labelledby="activity-setting-heading">
      <h2 id="activity-setting-heading">Partner activity</h2>
      <div className="switch-row">
        <input
          type="checkbox"
          role="switch"
          id="partner-activity"
          className="switch"
          checked={me.partnerActivityEnabled}
          aria-checked={me.partnerActivityEnabled}
          disabled={busy}
          aria-describedby="partner-activity-hint"
          onChange={(e) => void toggle(e.target.checked)}
          data-testid="partner-activity"
        />
        <div>
          <label htmlFor="partner-activity">Show what partner apps publish on my profile</label>
          <p className="field-hint" id="partner-activity-hint">
            Apps you connected with permission to post can show what you watch on{' '}
            <Link to={paths.profile(me.username)}>your profile</Link>, for you and your friends. Turned off,
            nothing shows and the apps cannot post.
          </p>
        </div>
      </div>
      {status && <Notice tone={status.tone}>{status.text}</Notice>}
    </section>
  )
}

export function SettingsPage() {
  usePageTitle('Settings')
  const me = useMe()
  return (
    <div className="page-content" data-testid="settings-page">
      <h1 tabIndex={-1}>Settings</h1>
      <ProfileForm />
      <SuggestionsSetting />
      <PartnerActivitySetting />
      <section className="card-section" aria-labelledby="account-heading">
        <h2 id="account-heading">Account</h2>
        <p className="muted">
          Logged in as <strong>@{me.username}</strong>.
        </p>
        <button type="button" className="button" onClick={() => void logOut()}>
          Log out
        </button>
      </section>
    </div>
  )
}
