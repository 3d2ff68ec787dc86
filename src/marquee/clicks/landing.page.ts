/** The tracked link's landing page: server-rendered, no inline script (CSP script-src 'self'). */

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export const LANDING_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const page = (title: string, body: string, script = '') => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/r/assets/landing.css">
${script}</head>
<body>
<main class="card">
${body}
</main>
</body>
</html>
`

export interface LandingView {
  token: string
  clickId: string
  title: { id: string; name: string; year: number | null; synopsis: string | null }
  /** A Marquee member is taken to the title; anyone else is invited to join. */
  member: boolean
}

export function renderLanding(view: LandingView): string {
  const titlePath = `/titles/${encodeURIComponent(view.title.id)}`
  const name = escapeHtml(view.title.name)
  const year = view.title.year ? ` <span class="year">(${view.title.year})</span>` : ''
  const action = view.member
    ? `<p><a class="button" id="open" href="${titlePath}">Watch ${name} on Marquee</a></p>`
    : `<p>Marquee is where you watch it. Join to start watching, free to try.</p>
<p><a class="button" id="join" href="/signup?next=${encodeURIComponent(titlePath)}">Join Marquee</a>
<a class="secondary" href="/login?next=${encodeURIComponent(titlePath)}">I have an account</a></p>`
  return page(
    `${view.title.name} on Marquee`,
    `<img class="poster" src="/posters/${encodeURIComponent(view.title.id)}.svg" alt="" width="200" height="300">
<div class="text">
<p class="kicker">Recommended to you on Marquee</p>
<h1>${name}${year}</h1>
${view.title.synopsis ? `<p class="synopsis">${escapeHtml(view.title.synopsis)}</p>` : ''}
${action}
</div>
<div id="landing" hidden data-token="${escapeHtml(view.token)}" data-click="${escapeHtml(view.clickId)}" data-member="${view.member ? '1' : '0'}" data-next="${escapeHtml(titlePath)}"></div>`,
    '<script src="/r/assets/landing.js" defer></script>\n',
  )
}

export function renderNotFound(): string {
  return page(
    'Link not found · Marquee',
    `<div class="text">
<h1>This link does not work</h1>
<p>It may have been mistyped, or the recommendation was withdrawn.</p>
<p><a class="button" href="/">Go to Marquee</a></p>
</div>`,
  )
}

/**
 * The beacon: a first-party POST once the page ran in a browser, which preview fetchers and most
 * scanners never do. A member then goes on to the title page.
 */
export const LANDING_JS = `(() => {
  const el = document.getElementById('landing')
  if (!el) return
  const { token, click, member, next } = el.dataset
  const done = () => {
    if (member === '1') location.replace(next)
  }
  fetch('/r/' + encodeURIComponent(token) + '/confirm', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clickId: click }),
    credentials: 'same-origin',
    keepalive: true,
  }).then(done, done)
})()
`

export const LANDING_CSS = `*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#0f1115;color:#f2f2f2;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}
.card{display:flex;gap:24px;max-width:720px;padding:24px;flex-wrap:wrap}
.poster{width:200px;height:300px;border-radius:8px;background:#222}
.text{flex:1;min-width:240px}
.kicker{color:#e50914;font-weight:600;text-transform:uppercase;font-size:13px;letter-spacing:.05em;margin:0}
h1{margin:4px 0 12px;font-size:32px;line-height:1.2}
.year{color:#aaa;font-weight:400}
.synopsis{color:#ccc}
.button{display:inline-block;background:#e50914;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:600;margin-right:12px}
.button:focus-visible,.secondary:focus-visible{outline:3px solid #fff;outline-offset:2px}
.secondary{color:#f2f2f2}
`
