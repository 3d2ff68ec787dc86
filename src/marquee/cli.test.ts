import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { runCli } from './cli.ts'

// The CLI as an operator runs it: its own process's view of the embedded database in a data folder.
let dataDir: string
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'marquee-cli-'))
})
after(() => rm(dataDir, { recursive: true, force: true }))

async function cli(...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const progress: string[] = []
  const code = await runCli(
    argv,
    { DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'silent' },
    {
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      progress: { write: (text) => progress.push(text), isTTY: false },
    },
  )
  return { code, out: out.join('\n'), err: err.join('\n'), progress: progress.join('') }
}

test('rotate-keys publishes a new key beside the old one; rebuild-rollups reports its stages', async () => {
  const first = await cli('jwks')
  assert.equal(first.code, 0, first.err)
  const before = (JSON.parse(first.out) as { keys: { kid: string }[] }).keys.map((k) => k.kid)
  assert.equal(before.length, 2)

  const rotated = await cli('rotate-keys', '--alg', 'ES256')
  assert.equal(rotated.code, 0, rotated.err)
  assert.match(rotated.out, /New signing keys, published now, signing from \d{4}-\d\d-\d\dT/)
  const after = (JSON.parse((await cli('jwks')).out) as { keys: { kid: string }[] }).keys.map((k) => k.kid)
  assert.equal(after.length, 3, 'the old ES256 key stays published beside the new one')
  assert.ok(before.every((kid) => after.includes(kid)))

  const rebuilt = await cli('rebuild-rollups')
  assert.equal(rebuilt.code, 0, rebuilt.err)
  assert.match(rebuilt.out, /Rebuilt in [\d.]+ s: 0 rollup rows, 0 sender-day-cell rows\./)
  for (const stage of ['joining clicks to their sends', 'daily rollups', 'late bucket', 'clipping']) {
    assert.ok(rebuilt.progress.includes(stage), stage)
  }

  const usage = await cli('rebuild-rollups', 'now')
  assert.equal(usage.code, 2)
})
