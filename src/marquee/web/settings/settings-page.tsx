import { useCallback, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { useResource } from '../../../lib/web/use-resource.ts'
import { api, tandemConnectUrl } from '../api/endpoints.ts'
import { ApiError, describeError } from '../api/http.ts'
import type { TandemStatus } from '../api/types.ts'
import { formatDate, formatDateTime } from '../lib/format.ts'
import {
  chooseInterface,
  INTERFACES,
  interfaceForScreen,
  interfaceLabels,
  useInterface,
  useInterfaceChoice,
} from '../lib/interface.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { paths } from '../lib/router.tsx'
import { updateMe, useSession } from '../state/session.ts'
import { LoadError, Loading, PageHeader } from '../ui/states.tsx'
import { Switch } from '../ui/switch.tsx'

const interfaceHints = {
  web: 'Rows of posters for a laptop or desktop browser.',
  tv: 'Large tiles for a television; move with the arrow keys.',
  mobile: 'One column and a bottom bar, for a phone.',
}

function InterfaceSection() {
  const choice = useInterfaceChoice()
  const current = useInterface()
  return (
    <section className="settings-card" aria-labelledby="interface-heading">
      <h2 id="interface-heading">Interface</h2>
      <p className="muted small">
        Marquee is laid out for the screen you use. Without a choice it follows your screen's width (now:{' '}
        {interfaceLabels[interfaceForScreen()]}).
      </p>
      <fieldset className="segmented" data-testid="interface-switcher" data-current={current}>
        <legend className="sr-only">Interface</legend>
        {INTERFACES.map((value) => (
          <label key={value} className={current === value ? 'segment is-selected' : 'segment'}>
            <input
              type="radio"
              name="interface"
              value={value}
              checked={choice === value}
              onChange={() => chooseInterface(value)}
              data-testid={`interface-${value}`}
            />
            <span className="segment-name">{interfaceLabels[value]}</span>
            <span className="segment-hint">{interfaceHints[value]}</span>
          </label>
        ))}
      </fieldset>
      {choice && (
        <button type="button" className="button button-ghost" onClick={() => chooseInterface(null)}>
          Follow my screen's width
        </button>
      )}
    </section>
  )
}

const scopeText: Record<string, { label: string; missing: string }> = {
  'recommendations.send': {
    label: 'Send the recommendations you choose to your Tandem friends',
    missing: 'Not granted: you can share links, but Marquee cannot send to your Tandem friends.',
  },
  'friends.app': {
    label: 'See which of your Tandem friends use Marquee',
    missing: 'Not granted: the share dialog cannot list your friends who are on Marquee.',
  },
  'friends.suggest': {
    label: 'Suggest Marquee to friends who are not on it',
    missing:
      'Not granted: no suggestions section in the share dialog. Friends not on Marquee are never named to Marquee either way.',
  },
  'activity.publish': {
    label: 'Post what you watch on your Tandem profile, while the setting below is on',
    missing: 'Not granted: asked for separately when you turn on "Share what I watch on Tandem".',
  },
}

function TandemSection() {
  const load = useCallback((signal: AbortSignal) => api.tandem(signal), [])
  const resource = useResource(load)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [confirming, setConfirming] = useState(false)
  const returnTo = paths.settings

  if (resource.status === 'loading') return <Loading label="Loading your Tandem connection…" />
  if (resource.status === 'error' || !resource.data)
    return <LoadError error={resource.error} retry={resource.reload} />
  const tandem: TandemStatus = resource.data.tandem

  const disconnect = async () => {
    setBusy(true)
    setError(null)
    try {
      await api.disconnectTandem()
      setConfirming(false)
      await resource.reload()
      document.getElementById('tandem-heading')?.focus()
    } catch (failure) {
      setError(describeError(failure))
    } finally {
      setBusy(false)
    }
  }

  const setActivity = async (enabled: boolean) => {
    setBusy(true)
    setError(null)
    try {
      const { activity } = await api.setActivity(enabled, paths.settings)
      resource.mutate((d) => ({ tandem: { ...d.tandem, activity } }))
    } catch (failure) {
      const url = (failure instanceof ApiError && failure.code === 'consent_required' && failure.details) as
        | { authorizeUrl?: unknown }
        | false
      if (url && typeof url.authorizeUrl === 'string') {
        window.location.assign(url.authorizeUrl)
        return
      }
      setError(describeError(failure))
    } finally {
      setBusy(false)
    }
  }

  const activity = tandem.activity
  const lapsed = !activity.enabled && activity.lapsed
  const knownScopes = Object.keys(scopeText)

  return (
    <section
      className="settings-card"
      aria-labelledby="tandem-heading"
      data-testid="tandem-section"
      data-connected={tandem.connected}
    >
      <h2 id="tandem-heading" tabIndex={-1}>
        Tandem
      </h2>
      {error && <Notice tone="error">{error}</Notice>}
      {!tandem.connected ? (
        <>
          <p>
            Connect your Tandem account to send what you watch to friends there. You choose on Tandem what
            Marquee may do, and you can disconnect at any time.
          </p>
          <a className="button button-tandem" href={tandemConnectUrl(returnTo)} data-testid="connect-tandem">
            Connect with Tandem
          </a>
        </>
      ) : (
        <>
          <p data-testid="tandem-connected">
            Connected{tandem.connectedAt ? ` since ${formatDate(tandem.connectedAt)}` : ''}.
          </p>
          <h3 className="settings-subhead">What you allowed</h3>
          <ul className="scope-list" data-testid="tandem-scopes">
            {knownScopes.map((scope) => {
              const granted = tandem.scopes.includes(scope)
              const text = scopeText[scope]!
              return (
                <li
                  key={scope}
                  className={granted ? 'scope is-granted' : 'scope'}
                  data-scope={scope}
                  data-granted={granted}
                >
                  <span className="scope-mark" aria-hidden="true">
                    {granted ? '✓' : '–'}
                  </span>
                  <span>
                    {text.label}
                    {!granted && <span className="muted small block">{text.missing}</span>}
                  </span>
                </li>
              )
            })}
          </ul>
          <div className="actions">
            <a className="button" href={tandemConnectUrl(returnTo)}>
              Change what Marquee may do
            </a>
            {!confirming ? (
              <button
                type="button"
                className="button button-danger"
                onClick={() => setConfirming(true)}
                data-testid="disconnect-tandem"
              >
                Disconnect
              </button>
            ) : (
              <fieldset className="confirm">
                <legend>Disconnect Tandem? Marquee deletes what it received from Tandem.</legend>
                <button
                  type="button"
                  className="button button-danger"
                  onClick={disconnect}
                  disabled={busy}
                  data-testid="confirm-disconnect"
                >
                  {busy ? 'Disconnecting…' : 'Yes, disconnect'}
                </button>
                <button type="button" className="button button-ghost" onClick={() => setConfirming(false)}>
                  Keep connected
                </button>
              </fieldset>
            )}
          </div>
        </>
      )}
      <div className="settings-divider" />
      <Switch
        label="Share what I watch on Tandem"
        checked={activity.enabled}
        disabled={busy}
        onChange={setActivity}
        testId="activity-toggle"
      >
        When on, titles you start or finish appear on your Tandem profile for your friends. Off by default; a
        consent of its own that you can withdraw here at any time. It lapses two years after you give it.
      </Switch>
      <p className="muted small" data-testid="activity-consent">
        {activity.enabled && activity.lapsesAt
          ? `On since ${formatDate(activity.consentedAt)}. Your consent lapses on ${formatDate(activity.lapsesAt)}; Marquee will ask again then.`
          : lapsed
            ? `Your consent lapsed on ${formatDate(activity.lapsesAt)}, two years after you gave it. Turn it on again to renew it.`
            : 'Off: nothing you watch leaves Marquee.'}
      </p>
    </section>
  )
}

function HistorySharingSection() {
  const session = useSession()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  if (session.status !== 'signed-in') return null
  const set = async (value: boolean) => {
    setBusy(true)
    setError(null)
    try {
      const { user } = await api.updateMe({ shareHistoryWithFriends: value })
      updateMe(user)
    } catch (failure) {
      setError(describeError(failure))
    } finally {
      setBusy(false)
    }
  }
  return (
    <section className="settings-card" aria-labelledby="privacy-heading">
      <h2 id="privacy-heading">Privacy</h2>
      {error && <Notice tone="error">{error}</Notice>}
      <Switch
        label="Let my Marquee friends see what I watched"
        checked={session.me.shareHistoryWithFriends}
        disabled={busy}
        onChange={set}
        testId="share-history-toggle"
      >
        Friends who connected Tandem see picks from your history under "Friends might like". Your history
        never leaves Marquee.
      </Switch>
    </section>
  )
}

export function SettingsPage() {
  usePageTitle('Settings')
  const session = useSession()
  return (
    <div className="settings">
      <PageHeader title="Settings" />
      {session.status === 'signed-in' && (
        <p className="muted">
          Signed in as <strong>{session.me.displayName}</strong> (@{session.me.username}) since{' '}
          {formatDateTime(session.me.createdAt)}.
        </p>
      )}
      <InterfaceSection />
      <TandemSection />
      <HistorySharingSection />
    </div>
  )
}
