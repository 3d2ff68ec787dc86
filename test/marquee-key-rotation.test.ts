import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { compactVerify, createRemoteJWKSet } from 'jose'
import { runCli } from '../src/marquee/cli.ts'
import { runHousekeeping } from '../src/marquee/housekeeping.ts'
import {
  createMarqueeClient,
  rotateSigningKeys,
  signingKeys,
  signJws,
} from '../src/marquee/tandem-link/index.ts'
import { NEW_KEY_LEAD_MS, RETIRED_KEY_PUBLISHED_MS } from '../src/marquee/tandem-link/keys.ts'
import type { TandemApiError } from '../src/partner-sdk/index.ts'
import { type ListeningMarquee, startTwoServers } from './support/two-servers.ts'

let servers: Awaited<ReturnType<typeof startTwoServers>>
let marquee: ListeningMarquee
let clientId: string

before(async () => {
  servers = await startTwoServers()
  marquee = servers.marquee
  clientId = servers.clientId
})

after(async () => {
  await servers?.close()
})

const published = async () => {
  const res = await fetch(`${marquee.origin}/.well-known/jwks.json`)
  assert.equal(res.status, 200)
  const { keys } = (await res.json()) as { keys: { kid: string; alg: string; d?: string }[] }
  assert.ok(
    keys.every((k) => k.d === undefined),
    'public halves only',
  )
  return new Set(keys.map((k) => k.kid))
}

const signing = async () => {
  const keys = await signingKeys(marquee.ctx)
  return [keys.EdDSA.kid, keys.ES256.kid]
}

/** Keys reload in the background once due: ask, then give the reload its turn (up to a second). */
async function signingAfterReload(previous: string[]): Promise<string[]> {
  await signingKeys(marquee.ctx)
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20))
    const now = await signing()
    if (!now.every((kid) => previous.includes(kid))) return now
  }
  return signing()
}

/** Tandem accepts Marquee's client assertion and verifies its EdDSA signature: it refuses only the report's content. */
async function tandemAcceptsMarqueesKeys() {
  const report = await signJws(marquee.ctx, { schema: 'tandem.partner-report/1', partner: clientId })
  await assert.rejects(createMarqueeClient(marquee.ctx).submitReport(report), (error: TandemApiError) => {
    assert.equal(error.code, 'invalid_report', `${error.status} ${error.code}`)
    return true
  })
}

test('a scheduled rotation publishes the new keys first, signs with them after the lead, and withdraws the old a day later', async () => {
  const old = await signing()
  assert.deepEqual(await published(), new Set(old))

  const { created, retired, signsFrom } = await rotateSigningKeys(marquee.ctx)
  assert.deepEqual(new Set(retired), new Set(old))
  assert.equal(signsFrom.getTime(), marquee.clock.now().getTime() + NEW_KEY_LEAD_MS)
  assert.deepEqual(await published(), new Set([...old, ...created]), 'new keys published at once')
  assert.deepEqual(await signing(), old, 'the old keys sign until the new ones are due')

  marquee.clock.advance(NEW_KEY_LEAD_MS)
  const now = await signingAfterReload(old)
  assert.deepEqual(new Set(now), new Set(created), 'the new keys sign once due')
  assert.deepEqual(await published(), new Set([...old, ...created]), 'the old keys are still published')
  // Tandem meets the new kids (it fetches the JWK Set again) and accepts both.
  await tandemAcceptsMarqueesKeys()

  marquee.clock.advance(RETIRED_KEY_PUBLISHED_MS)
  await signingKeys(marquee.ctx)
  for (let i = 0; i < 50 && (await published()).size > 2; i++) await new Promise((r) => setTimeout(r, 20))
  assert.deepEqual(await published(), new Set(created), 'a day after, only the new keys are published')
  const result = await runHousekeeping(marquee.db, marquee.clock)
  assert.equal(result.retiredKeys, 2, 'and the old keys are deleted')
  const rows = await marquee.db.selectFrom('signing_keys').select('kid').execute()
  assert.deepEqual(new Set(rows.map((r) => r.kid)), new Set(created))
})

test('a compromised key is withdrawn at once; a rotation by another process is taken up by the server', async () => {
  const old = await signing()
  // Another process (the CLI, another instance) on the same database: a context of its own.
  const other = { db: marquee.db, secrets: marquee.ctx.secrets, clock: marquee.clock }
  const { created } = await rotateSigningKeys(other, { algs: ['EdDSA'], compromised: true })
  assert.deepEqual(await signing(), old, 'the server has not reloaded yet')
  marquee.clock.advance(60_000)
  const now = await signingAfterReload(old)
  assert.deepEqual(now, [created[0], old[1]], 'the new EdDSA key signs; ES256 is untouched')
  assert.deepEqual(await published(), new Set(now), 'the compromised key left the JWK Set')
  // What the withdrawn key signs no longer verifies against the published set; what the new one signs does.
  const keySet = createRemoteJWKSet(new URL(`${marquee.origin}/.well-known/jwks.json`))
  const byNewKey = await signJws(marquee.ctx, { hello: 'tandem' })
  assert.equal((await compactVerify(byNewKey, keySet)).protectedHeader.kid, created[0])
  const withdrawn = (await marquee.db.selectFrom('signing_keys').select('kid').execute()).map((r) => r.kid)
  assert.ok(!withdrawn.includes(old[0] as string), 'the compromised private key is deleted too')
  const [, payload, signature] = byNewKey.split('.')
  const oldHeader = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: old[0] })).toString('base64url')
  await assert.rejects(compactVerify(`${oldHeader}.${payload}.${signature}`, keySet), /no applicable key/)
})

test('the CLI refuses an unknown algorithm', async () => {
  const errors: string[] = []
  const code = await runCli(['rotate-keys', '--alg', 'RS256'], process.env, {
    out: () => {},
    err: (text) => errors.push(text),
  })
  assert.equal(code, 2)
  assert.match(errors.join('\n'), /--alg is EdDSA or ES256/)
})
