import { type FormEvent, useEffect, useRef, useState } from 'react'
import { Field, TextAreaField } from '../../../lib/web/ui/field.tsx'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { ApiError, describeError } from '../api/http.ts'
import type { NewPartner, Partner } from '../api/types.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, paths } from '../lib/router.tsx'
import { BackLink } from '../ui/back-link.tsx'

type FieldName =
  | 'name'
  | 'clientId'
  | 'homepageUrl'
  | 'privacyPolicyUrl'
  | 'redirectUris'
  | 'jwksUri'
  | 'jwks'
  | 'webhookUrl'
type Errors = Partial<Record<FieldName, string>>

const FIELD_NAMES: readonly FieldName[] = [
  'name',
  'clientId',
  'homepageUrl',
  'privacyPolicyUrl',
  'redirectUris',
  'jwksUri',
  'jwks',
  'webhookUrl',
]

/** `redirectUris[1]`, `redirectUris.1` or `jwks.keys` → the form field it belongs to. */
function fieldOf(path: string): FieldName | undefined {
  const head = path.split(/[.[]/)[0] ?? ''
  return FIELD_NAMES.find((f) => f === head)
}

/** Field messages from any of the server's answers: zod issues, URL checks (`details.field`), JWKS problems. */
function errorsFrom(error: unknown): { fields: Errors; general: string | null } {
  if (!(error instanceof ApiError)) return { fields: {}, general: describeError(error) }
  const fields: Errors = {}
  if (error.code === 'validation_failed') {
    for (const [path, message] of Object.entries(error.fieldErrors)) {
      const field = fieldOf(path)
      if (field) fields[field] ??= message
    }
  } else if (error.code === 'invalid_jwks') {
    fields.jwks = error.message
  } else if (error.code === 'client_id_taken') {
    fields.clientId = 'A partner with this client ID exists already'
  } else if (error.details && typeof error.details === 'object' && 'field' in error.details) {
    const field = fieldOf(String((error.details as { field: unknown }).field))
    if (field) fields[field] = describeError(error)
  }
  return { fields, general: Object.keys(fields).length > 0 ? null : describeError(error) }
}

function SecretOnce({ partner, secret }: { partner: Partner; secret: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null)
  const input = useRef<HTMLInputElement>(null)
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [])

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret)
      setCopied('yes')
    } catch {
      input.current?.select()
      setCopied('failed')
    }
  }

  return (
    <section className="card-section" aria-labelledby="created-heading" data-testid="partner-created">
      <h2 id="created-heading" ref={heading} tabIndex={-1}>
        {partner.name} is registered
      </h2>
      <p>
        Client ID <code data-testid="created-client-id">{partner.clientId}</code>. Next, create an agreement
        for the APIs it may use.
      </p>
      <div className="secret-warning" role="note">
        <strong>Copy the webhook signing secret now: this is the only time it is shown.</strong> Tandem keeps
        only a sealed copy it cannot display. Give it to {partner.name} over a secure channel; anyone who has
        it can sign webhooks as Tandem.
      </div>
      <div className="field">
        <label htmlFor="webhook-secret">Webhook signing secret</label>
        <div className="inline-form">
          <input
            ref={input}
            id="webhook-secret"
            className="mono-input"
            readOnly
            value={secret}
            onFocus={(e) => e.target.select()}
            data-testid="webhook-secret"
          />
          <button type="button" className="button" onClick={() => void copy()}>
            Copy
          </button>
        </div>
        {copied === 'yes' && (
          <p className="field-hint" role="status">
            Copied to the clipboard.
          </p>
        )}
        {copied === 'failed' && (
          <p className="field-hint" role="status">
            Could not reach the clipboard: the secret is selected, press Ctrl+C (⌘C) to copy it.
          </p>
        )}
      </div>
      <div className="form-actions">
        <Link to={paths.adminPartner(partner.clientId)} className="button button-primary">
          I have stored it: open {partner.name}
        </Link>
      </div>
    </section>
  )
}

export function RegisterPartnerPage() {
  usePageTitle('Register partner')
  const [form, setForm] = useState({
    name: '',
    clientId: '',
    homepageUrl: '',
    privacyPolicyUrl: '',
    redirectUris: '',
    keySource: 'jwksUri' as 'jwksUri' | 'jwks',
    jwksUri: '',
    jwks: '',
    webhookUrl: '',
  })
  const [errors, setErrors] = useState<Errors>({})
  const [general, setGeneral] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [created, setCreated] = useState<{ partner: Partner; secret: string } | null>(null)

  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [key]: e.target.value }))

  async function submit(event: FormEvent) {
    event.preventDefault()
    setGeneral(null)
    const body: NewPartner = {
      name: form.name.trim(),
      homepageUrl: form.homepageUrl.trim(),
      privacyPolicyUrl: form.privacyPolicyUrl.trim(),
      redirectUris: form.redirectUris
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
    }
    if (form.clientId.trim()) body.clientId = form.clientId.trim()
    if (form.webhookUrl.trim()) body.webhookUrl = form.webhookUrl.trim()
    if (form.keySource === 'jwksUri') body.jwksUri = form.jwksUri.trim()
    else {
      try {
        body.jwks = JSON.parse(form.jwks) as Record<string, unknown>
      } catch {
        setErrors({ jwks: 'This is not valid JSON. Paste the whole JWK Set: {"keys": [ … ]}' })
        return
      }
    }
    setBusy(true)
    setErrors({})
    try {
      const { partner, webhookSecret } = await api.admin.registerPartner(body)
      setCreated({ partner, secret: webhookSecret })
    } catch (error) {
      const { fields, general } = errorsFrom(error)
      setErrors(fields)
      setGeneral(general)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="page-content" data-testid="register-partner-page">
      <BackLink to={paths.admin}>Admin console</BackLink>
      <h1 tabIndex={-1}>Register partner</h1>
      <p className="page-lead">
        A partner app gets OAuth credentials here. It can use privileged APIs only once an agreement covers
        them.
      </p>
      {created ? (
        <SecretOnce partner={created.partner} secret={created.secret} />
      ) : (
        <form className="card-section" onSubmit={submit} noValidate aria-labelledby="partner-form-heading">
          <h2 id="partner-form-heading">The app</h2>
          <Field
            label="Name"
            value={form.name}
            onChange={set('name')}
            maxLength={80}
            required
            error={errors.name}
            hint="Users see this name on the consent screen and next to what the app sends."
          />
          <Field
            label="Client ID (optional)"
            value={form.clientId}
            onChange={set('clientId')}
            autoCapitalize="none"
            spellCheck={false}
            error={errors.clientId}
            hint="3 to 40 lowercase letters, digits or hyphens. Made from the name when left empty."
          />
          <Field
            label="Homepage URL"
            type="url"
            value={form.homepageUrl}
            onChange={set('homepageUrl')}
            required
            error={errors.homepageUrl}
          />
          <Field
            label="Privacy policy URL"
            type="url"
            value={form.privacyPolicyUrl}
            onChange={set('privacyPolicyUrl')}
            required
            error={errors.privacyPolicyUrl}
          />
          <TextAreaField
            label="Redirect URIs"
            rows={3}
            value={form.redirectUris}
            onChange={set('redirectUris')}
            spellCheck={false}
            required
            error={errors.redirectUris}
            hint="One per line, matched exactly: https, no fragment, no wildcards."
          />
          <fieldset className="choice-group">
            <legend>Signing keys</legend>
            <p className="field-hint">
              The public keys the app signs its client assertions, reports and deletion receipts with.
            </p>
            <label className="choice">
              <input
                type="radio"
                name="keySource"
                checked={form.keySource === 'jwksUri'}
                onChange={() => setForm((f) => ({ ...f, keySource: 'jwksUri' }))}
              />
              A JWKS URI the app publishes
            </label>
            <label className="choice">
              <input
                type="radio"
                name="keySource"
                checked={form.keySource === 'jwks'}
                onChange={() => setForm((f) => ({ ...f, keySource: 'jwks' }))}
              />
              Paste a JWK Set
            </label>
          </fieldset>
          {form.keySource === 'jwksUri' ? (
            <Field
              label="JWKS URI"
              type="url"
              value={form.jwksUri}
              onChange={set('jwksUri')}
              required
              error={errors.jwksUri ?? errors.jwks}
            />
          ) : (
            <TextAreaField
              label="JWK Set (JSON)"
              rows={6}
              className="mono-input"
              value={form.jwks}
              onChange={set('jwks')}
              spellCheck={false}
              required
              error={errors.jwks}
              hint='Public keys only: {"keys": [{"kty": "EC", "crv": "P-256", "kid": "…", "x": "…", "y": "…"}]}'
            />
          )}
          <Field
            label="Webhook URL (optional)"
            type="url"
            value={form.webhookUrl}
            onChange={set('webhookUrl')}
            error={errors.webhookUrl}
            hint="Where Tandem sends signed events: revocations, deletion requests, agreement changes."
          />
          {general && <Notice tone="error">{general}</Notice>}
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? 'Registering…' : 'Register partner'}
            </button>
            <Link to={paths.admin} className="button">
              Cancel
            </Link>
          </div>
        </form>
      )}
    </div>
  )
}
