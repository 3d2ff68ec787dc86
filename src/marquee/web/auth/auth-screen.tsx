import { type FormEvent, useEffect, useState } from 'react'
import { Field } from '../../../lib/web/ui/field.tsx'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { ApiError, describeError } from '../api/http.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, nextPath, paths, useSearch } from '../lib/router.tsx'
import { signedIn } from '../state/session.ts'
import { LogoMark } from '../ui/icons.tsx'

interface AuthScreenProps {
  mode: 'login' | 'signup'
}

function messageFor(error: unknown, mode: AuthScreenProps['mode']): string {
  if (error instanceof ApiError) {
    if (error.code === 'invalid_credentials') return 'That username and password do not match.'
    if (error.code === 'rate_limited') return 'Too many attempts. Wait a minute and try again.'
    if (error.code === 'username_taken') return 'That username is taken. Try another.'
    if (error.code === 'validation_failed')
      return `Check the ${mode === 'signup' ? 'highlighted fields' : 'form'}.`
  }
  return describeError(error)
}

export function AuthScreen({ mode }: AuthScreenProps) {
  const [username, setUsername] = useState('')
  const [displayName, setDisplayName] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({})
  const signup = mode === 'signup'
  const next = nextPath(useSearch())

  usePageTitle(signup ? 'Sign up' : 'Log in')
  // biome-ignore lint/correctness/useExhaustiveDependencies: switching between log in and sign up starts clean
  useEffect(() => {
    setError(null)
    setFieldErrors({})
  }, [signup])

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    setFieldErrors({})
    try {
      const { user } = signup
        ? await api.signUp({ username: username.trim(), displayName: displayName.trim(), password })
        : await api.logIn({ username: username.trim(), password })
      signedIn(user)
    } catch (failure) {
      setError(messageFor(failure, mode))
      if (failure instanceof ApiError) setFieldErrors(failure.fieldErrors)
      setBusy(false)
    }
  }

  return (
    <main className="auth" id="main">
      <div className="auth-backdrop" aria-hidden="true" />
      <div className="auth-card">
        <div className="brand">
          <LogoMark width={36} height={36} />
          <span>Marquee</span>
        </div>
        <h1>{signup ? 'Start watching' : 'Welcome back'}</h1>
        <p className="muted">
          {signup
            ? 'Films and series, and friends to share them with.'
            : 'Log in to pick up where you left off.'}
        </p>
        <form onSubmit={submit} noValidate aria-label={signup ? 'Sign up' : 'Log in'}>
          <Field
            label="Username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            error={fieldErrors.username}
            hint={signup ? '3 to 30 letters, digits or underscores.' : undefined}
          />
          {signup && (
            <Field
              label="Display name"
              name="displayName"
              autoComplete="name"
              required
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
              error={fieldErrors.displayName}
            />
          )}
          <Field
            label="Password"
            name="password"
            type="password"
            autoComplete={signup ? 'new-password' : 'current-password'}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={fieldErrors.password}
            hint={signup ? 'At least 8 characters.' : undefined}
          />
          {error && <Notice tone="error">{error}</Notice>}
          <button className="button button-primary button-block" type="submit" disabled={busy}>
            {busy ? (signup ? 'Creating account…' : 'Logging in…') : signup ? 'Sign up' : 'Log in'}
          </button>
        </form>
        <p className="auth-switch">
          {signup ? 'Already have an account? ' : 'New to Marquee? '}
          <Link
            to={`${signup ? paths.login : paths.signup}${next ? `?next=${encodeURIComponent(next)}` : ''}`}
          >
            {signup ? 'Log in' : 'Create an account'}
          </Link>
        </p>
      </div>
    </main>
  )
}
