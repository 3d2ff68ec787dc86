import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { makeTandem, type TestTandem } from '../testing.ts'
import { escapeHtml, type OpenApiDocument, renderDocsPage } from './docs.renderer.ts'

let t: TestTandem
before(async () => {
  t = await makeTandem()
})
after(async () => {
  await t?.close()
})

describe('GET /docs', () => {
  test('every /partner/v1 and /api operation of /openapi.json is on the page, partner API first', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenApiDocument
    const res = await t.app.inject({ method: 'GET', url: '/docs' })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), /^text\/html/)
    const html = res.body
    const paths = Object.keys(doc.paths ?? {}).filter(
      (p) => p.startsWith('/partner/v1/') || p.startsWith('/api/'),
    )
    assert.ok(paths.includes('/partner/v1/activity'))
    assert.ok(paths.includes('/api/users/{username}/activity'))
    for (const path of paths) {
      for (const method of Object.keys(doc.paths![path]!)) {
        assert.ok(
          html.includes(`${method.toUpperCase()}</span> <code class="path">${escapeHtml(path)}</code>`),
          `${method} ${path} is on the page`,
        )
      }
    }
    const firstPartner = html.indexOf('<code class="path">/partner/v1/')
    const firstApi = html.indexOf('<code class="path">/api/')
    assert.ok(firstPartner > 0 && firstPartner < firstApi, 'the partner API comes first')
    assert.ok(html.indexOf('id="partner-authentication"') < firstPartner)
    for (const words of [
      'private_key_jwt',
      'PKCE',
      `${t.config.publicOrigin}/partner/v1`,
      'activity.publish',
    ]) {
      assert.ok(html.includes(words), words)
    }
    // The activity request body as a field table, and the security scheme.
    assert.ok(html.includes('<code>title.url</code>'))
    assert.ok(html.includes('an http(s) URL'))
    assert.ok(html.includes('Security: bearer: HTTP bearer (JWT)'))
  })

  test('the page has no script and a strict CSP; its stylesheet is same-origin', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs' })
    assert.doesNotMatch(res.body, /<script|\son[a-z]+=|javascript:/i)
    const csp = String(res.headers['content-security-policy'])
    assert.match(csp, /default-src 'none'/)
    assert.match(csp, /style-src 'self'(;|$)/)
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(res.body)?.[1]
    assert.ok(href?.startsWith('/docs/docs.css'))
    const css = await t.app.inject({ method: 'GET', url: String(href) })
    assert.equal(css.statusCode, 200)
    assert.match(String(css.headers['content-type']), /^text\/css/)
  })
})

describe('renderDocsPage', () => {
  test('HTML special characters in summaries, descriptions, paths and fields are escaped', () => {
    const evil = `<script>alert("x")</script> & 'quotes'`
    const html = renderDocsPage(
      {
        info: { title: 'T <b>', version: '1' },
        paths: {
          '/partner/v1/x': {
            post: {
              summary: evil,
              description: evil,
              tags: ['<i>tag</i>'],
              security: [{ bearer: [] }],
              parameters: [{ name: '<pname>', in: 'query', schema: { type: 'string', pattern: '^<a>$' } }],
              requestBody: {
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      required: ['<f>'],
                      properties: { '<f>': { type: 'string', description: evil } },
                    },
                  },
                },
              },
            },
          },
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      },
      { origin: 'https://tandem.example', stylesheet: '/docs/docs.css' },
    )
    assert.ok(!html.includes('<script'))
    assert.ok(!html.includes('<i>tag'))
    assert.ok(!html.includes('<f>'))
    assert.ok(!html.includes('<pname>'))
    assert.ok(html.includes('<code>&lt;pname&gt;</code>'))
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;'))
    assert.ok(html.includes('<code>&lt;f&gt;</code>'))
    assert.ok(html.includes('pattern ^&lt;a&gt;$'))
  })
})
