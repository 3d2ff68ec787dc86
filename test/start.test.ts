import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { freePort } from '../src/tandem/oauth/testing.ts'

// `npm start` as a newcomer runs it: demo data in an empty folder, both servers and their web clients,
// Marquee registered on Tandem, the printed logins.
const root = join(import.meta.dirname, '..')
const dataDir = mkdtempSync(join(tmpdir(), 'tandem-start-'))
let child: ChildProcess | undefined

after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM')
    await new Promise((r) => child!.once('exit', r))
  }
  rmSync(dataDir, { recursive: true, force: true })
})

test("npm start serves both web clients, the demo logins work, and Marquee is Tandem's partner", {
  timeout: 180_000,
}, async () => {
  const port = await freePort()
  const marqueePort = await freePort()
  child = spawn(process.execPath, [join(root, 'scripts/start.ts')], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      TANDEM_PORT: String(port),
      MARQUEE_PORT: String(marqueePort),
      TANDEM_DATABASE_URL: '',
      MARQUEE_DATABASE_URL: '',
      NODE_ENV: 'development',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stderr!.on('data', (d) => {
    output += d
  })
  await new Promise<void>((resolve, reject) => {
    child!.stdout!.on('data', (d) => {
      output += d
      if (output.includes('Stop with Ctrl+C')) resolve()
    })
    child!.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)))
  })
  assert.match(output, new RegExp(`http://localhost:${port}`))
  assert.match(output, new RegExp(`http://localhost:${marqueePort}`))
  assert.match(output, /Demo logins on both \(password "demo-password"\): ana, ben, cleo, admin/)
  const base = `http://127.0.0.1:${port}`
  const page = await fetch(`${base}/`)
  assert.equal(page.status, 200)
  assert.match(await page.text(), /<div id="root">/)
  for (const username of ['ana', 'ben', 'cleo', 'admin']) {
    const login = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'demo-password' }),
    })
    assert.equal(login.status, 200, username)
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
    const me = await (await fetch(`${base}/api/me`, { headers: { cookie } })).json()
    assert.equal(me.user.username, username)
    assert.equal(me.user.isAdmin, username === 'admin')
    if (username === 'ana') {
      const inbox = await (await fetch(`${base}/api/threads`, { headers: { cookie } })).json()
      assert.ok(inbox.threads.length >= 2, 'demo conversations are there')
      const friends = await (await fetch(`${base}/api/friends`, { headers: { cookie } })).json()
      assert.deepEqual(friends.friends.map((f: { username: string }) => f.username).sort(), ['ben', 'cleo'])
    }
  }

  // Marquee: its client, the same people with watch histories, its key set, and its registration on Tandem.
  const marquee = `http://127.0.0.1:${marqueePort}`
  const marqueePage = await fetch(`${marquee}/`)
  assert.equal(marqueePage.status, 200)
  assert.match(await marqueePage.text(), /<title>Marquee<\/title>/)
  const login = await fetch(`${marquee}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'ana', password: 'demo-password' }),
  })
  assert.equal(login.status, 200)
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
  const history = await (await fetch(`${marquee}/api/history`, { headers: { cookie } })).json()
  assert.ok(history.history.length > 0, 'ana has a watch history')
  const jwks = await (await fetch(`${marquee}/.well-known/jwks.json`)).json()
  assert.ok(
    jwks.keys.length > 0 && jwks.keys.every((k: { d?: string }) => k.d === undefined),
    'public keys only',
  )
  const connect = await fetch(`${marquee}/auth/tandem/start`, { headers: { cookie }, redirect: 'manual' })
  assert.equal(connect.status, 302)
  const authorize = new URL(String(connect.headers.get('location')))
  assert.equal(authorize.origin, `http://localhost:${port}`)
  assert.equal(authorize.searchParams.get('client_id'), 'marquee')
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256')
})
