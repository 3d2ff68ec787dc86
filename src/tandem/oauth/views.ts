import { createHash } from 'node:crypto'

/** HTML-escapes text for element content and quoted attributes. */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

const STYLE = `
:root{color-scheme:light dark;--accent:#5b4bdb;--muted:#6b6b7b;--border:#d9d9e3;--bg:#fff;--card:#f7f7fb;--fg:#1d1d29}
@media (prefers-color-scheme:dark){:root{--bg:#14141c;--card:#1e1e2a;--fg:#ececf4;--muted:#a3a3b5;--border:#34344a}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:28rem;margin:0 auto;padding:2rem 1rem}h1{font-size:1.35rem;margin:.5rem 0 1rem}
.brand{font-weight:700;color:var(--accent);letter-spacing:.02em}.card{background:var(--card);border:1px solid var(--border);border-radius:12px;padding:1.25rem}
.app{display:flex;gap:.75rem;align-items:center;margin-bottom:1rem}.mono{width:3rem;height:3rem;border-radius:10px;background:var(--accent);color:#fff;display:grid;place-items:center;font-weight:700;font-size:1.2rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}input[type=text],input[type=password]{width:100%;padding:.6rem .7rem;border:1px solid var(--border);border-radius:8px;font:inherit;background:var(--bg);color:var(--fg)}
fieldset{border:0;padding:0;margin:0}legend{font-weight:600;margin-bottom:.5rem}
.scope{display:flex;gap:.6rem;align-items:flex-start;padding:.6rem 0;border-top:1px solid var(--border)}.scope:first-of-type{border-top:0}
.scope input{margin-top:.3rem;width:1.1rem;height:1.1rem}.scope label{margin:0;font-weight:400}.scope .name{display:block;font-size:.8rem;color:var(--muted)}
.actions{display:flex;gap:.75rem;margin-top:1.25rem}button{flex:1;padding:.7rem 1rem;border-radius:8px;border:1px solid var(--accent);font:inherit;font-weight:600;cursor:pointer}
button.primary{background:var(--accent);color:#fff}button.secondary{background:transparent;color:var(--accent)}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #ffb000;outline-offset:2px}
.error{background:#fde8e8;color:#8a1c1c;border-radius:8px;padding:.6rem .8rem;margin-bottom:.75rem}.note{color:var(--muted);font-size:.9rem;margin-top:1rem}
a{color:var(--accent)}
`

const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`

/**
 * The Content-Security-Policy of the login and consent pages: nothing from other origins, no framing
 * (SECURITY.md rows 28 and 30). Form submissions may end at the client's redirect URIs, which
 * browsers check against form-action through the redirect chain.
 */
export function interactionCsp(formTargets: string[]): string {
  const targets = [...new Set(formTargets)].join(' ')
  return [
    "default-src 'none'",
    `style-src ${STYLE_HASH}`,
    "img-src 'self' data:",
    `form-action 'self'${targets ? ` ${targets}` : ''}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ')
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><title>${esc(title)} · Tandem</title><style>${STYLE}</style></head><body><main><div class="brand">Tandem</div>${body}</main></body></html>`
}

function appHeader(appName: string, homepage: string) {
  const initial = esc((appName.trim()[0] ?? '?').toUpperCase())
  return `<div class="app"><div class="mono" aria-hidden="true">${initial}</div><div><strong>${esc(appName)}</strong><br><span class="name">${esc(new URL(homepage).host)}</span></div></div>`
}

export function renderLoginPage(input: {
  uid: string
  appName: string
  homepage: string
  error?: string
  username?: string
}) {
  return page(
    'Sign in',
    `<div class="card">${appHeader(input.appName, input.homepage)}
<h1>Sign in to Tandem to continue to ${esc(input.appName)}</h1>
${input.error ? `<p class="error" role="alert">${esc(input.error)}</p>` : ''}
<form method="post" action="/oauth/interaction/${esc(input.uid)}/login">
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required value="${esc(input.username ?? '')}" autofocus>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><button class="primary" type="submit">Sign in</button></div></form>
<form method="post" action="/oauth/interaction/${esc(input.uid)}/abort"><div class="actions"><button class="secondary" type="submit">Cancel</button></div></form>
</div>`,
  )
}

export interface ConsentScope {
  scope: string
  purpose: string
  required: boolean
}

export function renderConsentPage(input: {
  uid: string
  appName: string
  homepage: string
  privacyPolicy: string
  userName: string
  scopes: ConsentScope[]
}) {
  const items = input.scopes
    .map(
      (s, i) =>
        `<div class="scope"><input type="checkbox" id="scope-${i}" name="scope" value="${esc(s.scope)}" checked${s.required ? ' disabled' : ''} data-scope="${esc(s.scope)}"><label for="scope-${i}">${esc(s.purpose)}<span class="name">${esc(s.scope)}${s.required ? ' · required' : ''}</span></label></div>`,
    )
    .join('')
  return page(
    'Allow access',
    `<div class="card">${appHeader(input.appName, input.homepage)}
<h1>${esc(input.appName)} would like to:</h1>
<form method="post" action="/oauth/interaction/${esc(input.uid)}/consent">
<fieldset><legend>Untick anything you don’t want to allow, ${esc(input.userName)}.</legend>${items}</fieldset>
<div class="actions"><button class="primary" type="submit">Allow</button></div></form>
<form method="post" action="/oauth/interaction/${esc(input.uid)}/abort"><div class="actions"><button class="secondary" type="submit">Don’t allow</button></div></form>
<p class="note">Every call ${esc(input.appName)} makes for you is listed in Tandem under Connected apps, where you can disconnect it at any time. <a href="${esc(input.privacyPolicy)}" rel="noopener noreferrer">${esc(input.appName)}’s privacy policy</a>.</p>
</div>`,
  )
}

export function renderErrorPage(error: string, description?: string) {
  return page(
    'Something went wrong',
    `<div class="card"><h1>We could not complete that request</h1><p class="error" role="alert"><strong>${esc(error)}</strong>${description ? `: ${esc(description)}` : ''}</p><p class="note">You can close this page and start again from the app you came from.</p></div>`,
  )
}
