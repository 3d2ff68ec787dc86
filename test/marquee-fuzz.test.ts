// SECURITY.md row 40 for Marquee: every route in its /openapi.json, fuzzed; no 5xx, errors in one shape,
// and a refused request writes nothing.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { sql } from 'kysely'
import { startSession } from '../src/marquee/accounts/accounts.service.ts'
import { makeMarquee } from '../src/marquee/testing.ts'
import { createFuzzer } from './support/fuzz.ts'

const m = await makeMarquee()
after(() => m.close())

// The world: two viewers, one of whom has watched and shared, and the rows their ids come from.
const ana = await m.makeUser({ username: 'fuzz_ana', displayName: 'Ana' })
const ben = await m.makeUser({ username: 'fuzz_ben', displayName: 'Ben' })

/** Values of a column when its table exists yet (modules add tables with their migrations). */
async function sample(table: string, column: string, limit = 5): Promise<string[]> {
  const exists = await sql<{ n: number }>`
    select count(*)::int as n from information_schema.columns
    where table_schema = 'public' and table_name = ${table} and column_name = ${column}`.execute(m.db)
  if (exists.rows[0]?.n !== 1) return []
  const rows = await sql<{
    v: string
  }>`select ${sql.ref(column)}::text as v from ${sql.table(table)} limit ${limit}`.execute(m.db)
  return rows.rows.map((r) => r.v)
}

const titleIds = await sample('titles', 'id')
if (titleIds[0]) {
  await m.as(ana, { method: 'POST', url: `/api/titles/${titleIds[0]}/play` })
  await m.as(ana, {
    method: 'POST',
    url: '/api/shares',
    headers: { 'idempotency-key': 'fuzz-world-1' },
    payload: {
      titleId: titleIds[0],
      interface: 'web',
      surface: 'title_page',
      recipients: [{ type: 'external', channel: 'copy_link' }],
    },
  })
}
const tokens = [...(await sample('tracked_links', 'token')), ...(await sample('shares', 'token'))]

const mint = async (user: { id: string }) =>
  `marquee_session=${await startSession(m.db, user.id, { clock: m.clock, ttlDays: m.config.sessionTtlDays })}`

const { fuzzedRoutes, requestFor, fuzz } = await createFuzzer({
  app: m.app,
  db: m.db as never,
  fuzzedPrefixes: ['/api/', '/r/', '/events', '/posters/', '/auth/', '/webhooks/'],
  pagePrefixes: ['/r/'],
  knownIds: [ana.id, ben.id, '00000000-0000-0000-0000-000000000000'],
  knownUsernames: [ana.username, ben.username, 'FUZZ_ANA'],
  pathValues: [...titleIds, ...titleIds.map((id) => `${id}.svg`), ...tokens],
  ownOrigins: ['http://localhost:4000'],
  cookieName: 'marquee_session',
  mintCookies: async () => ({ member: await mint(ana), stranger: await mint(ben) }),
  file: 'test/marquee-fuzz.test.ts',
})

describe('Marquee: the route list comes from /openapi.json', () => {
  test('it documents the accounts API', () => {
    const listed = new Set(fuzzedRoutes.map((r) => `${r.method} ${r.path}`))
    for (const route of [
      'POST /api/signup',
      'POST /api/login',
      'POST /api/logout',
      'GET /api/me',
      'PATCH /api/me',
    ]) {
      assert.ok(listed.has(route), `${route} is missing from /openapi.json`)
    }
  })
})

describe('Marquee, SECURITY row 40: every route, fuzzed (no 5xx, errors in one shape, a refused request writes nothing)', () => {
  for (const route of fuzzedRoutes) {
    test(`${route.method} ${route.path}`, async () => {
      await fuzz(requestFor(route))
    })
  }
})
