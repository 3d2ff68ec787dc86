import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { freePort } from '../src/tandem/oauth/testing.ts'

// `npm start` as a newcomer runs it: demo data in an empty folder, the web client, the printed logins.
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

test('npm start serves the web client and the demo logins work', { timeout: 180_000 }, async () => {
  const port = await freePort()
  child = spawn(process.execPath, [join(root, 'scripts/start.ts')], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      TANDEM_PORT: String(port),
      TANDEM_DATABASE_URL: '',
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
  assert.match(output, /Demo logins \(password "demo-password"\): ana, ben, cleo, admin/)
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
})
