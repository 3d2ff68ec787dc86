import { type FormEvent, type ReactNode, useEffect, useState } from 'react'
import { ApiError, describeError } from '../api-client.ts'
import { Link, navigate, nextPath, useSearch } from '../router.tsx'
import type { Session } from '../session.ts'
import { Field } from './field.tsx'
import { Notice } from './notice.tsx'

type AuthMode = 'login' | 'signup'

/** What differs between the products' sign-in screens: their name, mark, words and account calls. */
export interface AuthProduct<Me> {
  name: string
  logo: ReactNode
  signupHeading: string
  signupLead: string
  loginLead: string
  usernameHint: string
  paths: { login: string; signup: string }
  api: {
    logIn(body: { username: string; password: string }): Promise<{ user: Me }>
    signUp(body: { username: string; displayName: string; password: string }): Promise<{ user: Me }>
  }
  signedIn(me: Me): void
  /** The client's hook that names the screen in the tab title. */
  usePageTitle(title: string): void
}

function messageFor(error: unknown, mode: AuthMode): string {
  if (error instanceof ApiError) {
    if (error.code === 'invalid_credentials') return 'That username and password do not match.'
    if (error.code === 'rate_limited') return 'Too many attempts. Wait a minute and try again.'
    if (error.code === 'username_taken') return 'That username is taken. Try another.'
    if (error.code === 'validation_failed')
      return `Check the ${mode === 'signup' ? 'highlighted fields' : 'form'}.`
  }
  return describeError(error)
}

/** Log in or sign up; switching between the two keeps a `?next=` page to go on to. */
function AuthScreen<Me>({ mode, product }: { mode: AuthMode; product: AuthProduct<Me> }) {
  const [username, setUsername] = useState('')
  const [displayName, setDisplayName] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({})
  const signup = mode === 'signup'
  const next = nextPath(useSearch())

  product.usePageTitle(signup ? 'Sign up' : 'Log in')

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
        ? await product.api.signUp({ username: username.trim(), displayName: displayName.trim(), password })
        : await product.api.logIn({ username: username.trim(), password })
      product.signedIn(user)
    } catch (failure) {
      setError(messageFor(failure, mode))
      if (failure instanceof ApiError) setFieldErrors(failure.fieldErrors)
      setBusy(false)
    }
  }

  const switchTo = signup ? product.paths.login : product.paths.signup
  return (
    <main className="auth" id="main">
      <div className="auth-card">
        <div className="auth-brand">
          {product.logo}
          <span>{product.name}</span>
        </div>
        <h1>{signup ? product.signupHeading : 'Welcome back'}</h1>
        <p className="auth-lead">{signup ? product.signupLead : product.loginLead}</p>
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
            hint={signup ? product.usernameHint : undefined}
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
          {signup ? 'Already have an account? ' : `New to ${product.name}? `}
          <Link to={next ? `${switchTo}?next=${encodeURIComponent(next)}` : switchTo}>
            {signup ? 'Log in' : 'Create an account'}
          </Link>
        </p>
      </div>
    </main>
  )
}

/**
 * The signed-in app once the server has said who is logged in, the log in or sign up screen for
 * anyone else. Logging in on /login or /signup goes on to the `?next=` page (loaded from the server,
 * which may answer it itself), or `home`.
 */
export function AuthGate<Me>(props: {
  session: Session<Me>
  /** The route's name: `login` and `signup` are the auth pages. */
  page: string
  product: AuthProduct<Me>
  home: string
  children: ReactNode
}) {
  const { session, page, product, home } = props
  const onAuthPage = page === 'login' || page === 'signup'
  const signedIn = session.status === 'signed-in'

  useEffect(() => {
    if (!signedIn || !onAuthPage) return
    const next = nextPath(location.search)
    // The next page may be one the server answers itself (a report page, Connect with Tandem): load it.
    if (next) location.replace(next)
    else navigate(home, { replace: true })
  }, [signedIn, onAuthPage, home])

  if (session.status === 'loading') {
    return (
      <div className="splash" role="status">
        Loading {product.name}…
      </div>
    )
  }
  if (session.status === 'anonymous')
    return <AuthScreen mode={page === 'signup' ? 'signup' : 'login'} product={product} />
  if (onAuthPage) return null
  return props.children
}
