import { PARTNER_API_PATH, PARTNER_SCOPES, SCOPE_PURPOSES } from '../oauth/scopes.ts'

/** The parts of an OpenAPI 3.1 document the reference page reads. */
export interface OpenApiDocument {
  info?: { title?: string; version?: string; description?: string }
  paths?: Record<string, Record<string, Operation | undefined>>
  components?: { securitySchemes?: Record<string, SecurityScheme> }
}

interface SecurityScheme {
  type?: string
  scheme?: string
  bearerFormat?: string
  in?: string
  name?: string
}

interface Parameter {
  name?: string
  in?: string
  required?: boolean
  description?: string
  schema?: JsonSchema
}

interface Operation {
  summary?: string
  description?: string
  tags?: string[]
  parameters?: Parameter[]
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> }
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: JsonSchema }> }>
  security?: Array<Record<string, string[]>>
}

type JsonSchema = Record<string, unknown>

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const

/** Every piece of the OpenAPI document is text: it is escaped before it meets the markup. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

const slug = (value: string) =>
  value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')

function typeOf(schema: JsonSchema | undefined): string {
  if (!schema) return 'any'
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ')
  if ('const' in schema) return JSON.stringify(schema.const)
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key]
    if (Array.isArray(options)) return options.map((o) => typeOf(o as JsonSchema)).join(' | ')
  }
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : String(schema.type ?? 'any')
  if (type === 'array') return `array of ${typeOf(schema.items as JsonSchema | undefined)}`
  if (typeof schema.format === 'string') return `${type} (${schema.format})`
  return type
}

function constraintsOf(schema: JsonSchema): string[] {
  const notes: string[] = []
  const pairs: Array<[string, string]> = [
    ['minLength', 'min length'],
    ['maxLength', 'max length'],
    ['minimum', 'min'],
    ['maximum', 'max'],
    ['minItems', 'min items'],
    ['maxItems', 'max items'],
    ['pattern', 'pattern'],
    ['default', 'default'],
  ]
  for (const [key, label] of pairs) {
    // A named format (uuid, date-time) says more than the regular expression that implements it.
    if (key === 'pattern' && typeof schema.format === 'string') continue
    if (schema[key] !== undefined) {
      const value = key === 'default' ? JSON.stringify(schema[key]) : String(schema[key])
      notes.push(`${label} ${value}`)
    }
  }
  return notes
}

interface Field {
  name: string
  type: string
  required: boolean
  notes: string[]
  description: string
}

/** Flattens an object schema into dotted field names (`title.url`, `recipients[]`). */
function fieldsOf(schema: JsonSchema | undefined, prefix = '', depth = 0): Field[] {
  if (!schema || depth > 6) return []
  const properties = schema.properties as Record<string, JsonSchema> | undefined
  if (schema.type === 'array' && schema.items && prefix) {
    return fieldsOf(schema.items as JsonSchema, `${prefix}[]`, depth + 1)
  }
  if (!properties) return []
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : [])
  const fields: Field[] = []
  for (const [key, property] of Object.entries(properties)) {
    const name = prefix ? `${prefix}.${key}` : key
    fields.push({
      name,
      type: typeOf(property),
      required: required.has(key),
      notes: constraintsOf(property),
      description: typeof property.description === 'string' ? property.description : '',
    })
    const items = property.items as JsonSchema | undefined
    if (property.properties) fields.push(...fieldsOf(property, name, depth + 1))
    else if (items?.properties) fields.push(...fieldsOf(items, `${name}[]`, depth + 1))
  }
  return fields
}

function fieldTable(fields: Field[], caption: string): string {
  if (fields.length === 0) return ''
  const rows = fields
    .map(
      (f) =>
        `<tr><td><code>${escapeHtml(f.name)}</code></td><td>${escapeHtml(f.type)}</td><td>${f.required ? 'yes' : 'no'}</td><td>${escapeHtml([...f.notes, f.description].filter(Boolean).join('; '))}</td></tr>`,
    )
    .join('')
  return `<table><caption>${escapeHtml(caption)}</caption><thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Notes</th></tr></thead><tbody>${rows}</tbody></table>`
}

function securityOf(operation: Operation, schemes: Record<string, SecurityScheme>): string {
  if (!operation.security || operation.security.length === 0) return 'none declared'
  return operation.security
    .flatMap((requirement) => Object.keys(requirement))
    .map((name) => {
      const scheme = schemes[name]
      if (!scheme) return name
      if (scheme.type === 'http') {
        const format = scheme.bearerFormat ? ` (${scheme.bearerFormat})` : ''
        return `${name}: HTTP ${scheme.scheme ?? ''}${format}`
      }
      if (scheme.type === 'apiKey') return `${name}: ${scheme.in ?? ''} ${scheme.name ?? ''}`
      return `${name}: ${scheme.type ?? ''}`
    })
    .join(' or ')
}

function parametersTable(parameters: Parameter[] | undefined): string {
  if (!parameters || parameters.length === 0) return ''
  const rows = parameters
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${escapeHtml(typeOf(p.schema))}</td><td>${p.required ? 'yes' : 'no'}</td><td>${escapeHtml([...constraintsOf(p.schema ?? {}), p.description ?? ''].filter(Boolean).join('; '))}</td></tr>`,
    )
    .join('')
  return `<table><caption>Parameters</caption><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>Notes</th></tr></thead><tbody>${rows}</tbody></table>`
}

function responsesList(responses: Operation['responses']): string {
  if (!responses) return ''
  const items = Object.entries(responses)
    .map(([status, response]) => {
      const schema = response.content?.['application/json']?.schema
      const fields = fieldTable(fieldsOf(schema), `${status} body`)
      return `<li><strong>${escapeHtml(status)}</strong> ${escapeHtml(response.description ?? '')}${fields}</li>`
    })
    .join('')
  return `<h4>Responses</h4><ul class="responses">${items}</ul>`
}

interface Entry {
  method: string
  path: string
  operation: Operation
}

function renderOperation(entry: Entry, schemes: Record<string, SecurityScheme>): string {
  const { method, path, operation } = entry
  const id = `op-${method}-${slug(path)}`
  const body = operation.requestBody?.content?.['application/json']?.schema
  return [
    `<section class="operation" id="${escapeHtml(id)}">`,
    `<h3><span class="method method-${method}">${method.toUpperCase()}</span> <code class="path">${escapeHtml(path)}</code></h3>`,
    operation.summary ? `<p class="summary">${escapeHtml(operation.summary)}</p>` : '',
    operation.description ? `<p class="description">${escapeHtml(operation.description)}</p>` : '',
    `<p class="security">Security: ${escapeHtml(securityOf(operation, schemes))}</p>`,
    parametersTable(operation.parameters),
    body ? fieldTable(fieldsOf(body), 'Request body (application/json)') : '',
    responsesList(operation.responses),
    '</section>',
  ].join('')
}

function partnerIntro(origin: string): string {
  const scopes = PARTNER_SCOPES.map(
    (scope) =>
      `<tr><td><code>${escapeHtml(scope)}</code></td><td>${escapeHtml((SCOPE_PURPOSES[scope] ?? '').replaceAll('{app}', 'the partner'))}</td></tr>`,
  ).join('')
  const resource = `${origin}${PARTNER_API_PATH}`
  return [
    '<section class="intro" id="partner-authentication">',
    '<h2>Partner API: authentication</h2>',
    '<p>Partner calls act for a Tandem user who consented, or (for reports) for the partner itself.</p>',
    '<ol>',
    `<li>Discover the authorization server at <code>${escapeHtml(origin)}/.well-known/openid-configuration</code>.</li>`,
    '<li>Send the user through the OAuth 2.0 authorization code flow with PKCE (<code>S256</code>) and <code>state</code>; Tandem shows its own sign-in and consent screens, where the user may grant only some scopes.</li>',
    '<li>Authenticate at the token endpoint with <code>private_key_jwt</code> (RFC 7523), signed with a key you registered; no client secrets.</li>',
    `<li>Ask for the resource indicator (RFC 8707) <code>${escapeHtml(resource)}</code>: access tokens are JWTs (<code>typ: at+jwt</code>) for that audience, and no other token is accepted here.</li>`,
    '<li>Call the API with <code>Authorization: Bearer &lt;token&gt;</code>, or <code>Authorization: DPoP &lt;token&gt;</code> with a <code>DPoP</code> proof when your tokens are sender-constrained.</li>',
    '<li>Reports use a client-credentials token with <code>reports.submit</code>.</li>',
    '</ol>',
    '<p>A privileged scope works only while an agreement covers it (<code>agreement_inactive</code> otherwise); revocation takes effect on the next call. Every call that touches a user’s data is recorded in the ledger the user can read.</p>',
    `<table><caption>Scopes</caption><thead><tr><th>Scope</th><th>What it allows</th></tr></thead><tbody>${scopes}</tbody></table>`,
    '<p>Errors are <code>{"error": {"code", "message", "details?"}}</code> with a stable snake_case code; rate limits and caps answer 429 with <code>Retry-After</code>.</p>',
    '</section>',
  ].join('')
}

/**
 * The API reference as one server-rendered page: partner operations first, then the rest by tag.
 * No scripts; the stylesheet is a same-origin file, so a strict CSP applies.
 */
export function renderDocsPage(
  doc: OpenApiDocument,
  options: { origin: string; stylesheet: string },
): string {
  const schemes = doc.components?.securitySchemes ?? {}
  const groups = new Map<string, Entry[]>()
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method]
      if (!operation) continue
      const tag = operation.tags?.[0] ?? 'other'
      const list = groups.get(tag) ?? []
      list.push({ method, path, operation })
      groups.set(tag, list)
    }
  }
  const isPartner = (entries: Entry[]) => entries.some((e) => e.path.startsWith(`${PARTNER_API_PATH}/`))
  const tags = [...groups.keys()].sort((a, b) => {
    const pa = isPartner(groups.get(a)!)
    const pb = isPartner(groups.get(b)!)
    if (pa !== pb) return pa ? -1 : 1
    return a.localeCompare(b)
  })
  const toc = tags
    .map((tag) => `<li><a href="#tag-${escapeHtml(slug(tag))}">${escapeHtml(tag)}</a></li>`)
    .join('')
  const sections = tags
    .map((tag) => {
      const entries = groups
        .get(tag)!
        .sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))
      const cls = isPartner(entries) ? 'tag tag-partner' : 'tag'
      return `<section class="${cls}" id="tag-${escapeHtml(slug(tag))}"><h2>${escapeHtml(tag)}</h2>${entries.map((e) => renderOperation(e, schemes)).join('')}</section>`
    })
    .join('')
  const title = doc.info?.title ?? 'API reference'
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)} reference</title>`,
    `<link rel="stylesheet" href="${escapeHtml(options.stylesheet)}">`,
    '</head><body>',
    `<header><h1>${escapeHtml(title)} <small>${escapeHtml(doc.info?.version ?? '')}</small></h1>`,
    doc.info?.description ? `<p>${escapeHtml(doc.info.description)}</p>` : '',
    '<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p></header>',
    `<nav><ul><li><a href="#partner-authentication">Partner API: authentication</a></li>${toc}</ul></nav>`,
    '<main>',
    partnerIntro(options.origin),
    sections,
    '</main></body></html>',
  ].join('\n')
}

export const DOCS_CSS = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem; }
nav ul { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; list-style: none; padding: 0; }
code { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.intro, .tag-partner { border-left: 4px solid #5b5bd6; padding-left: 1rem; }
.operation { border-top: 1px solid #8884; padding: 0.5rem 0; }
.method { display: inline-block; min-width: 4.5rem; font-family: ui-monospace, monospace; font-weight: 700; }
.method-get { color: #1a7f37; } .method-post { color: #0969da; } .method-patch, .method-put { color: #9a6700; }
.method-delete { color: #cf222e; }
.security { font-size: 0.9em; opacity: 0.8; }
table { border-collapse: collapse; margin: 0.5rem 0; width: 100%; font-size: 0.9em; }
caption { text-align: left; font-weight: 600; }
th, td { border: 1px solid #8884; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
`
