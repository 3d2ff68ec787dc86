// npm start: builds the web client when it is missing or stale, then runs Tandem in demo mode
// (embedded database under DATA_DIR, demo people and conversations) and prints where to go.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { loadTandemConfig } from '../src/tandem/config.ts'
import { DEMO_PASSWORD, DEMO_USERS } from '../src/tandem/demo.ts'
import { closeOnSignals, startTandem } from '../src/tandem/main.ts'

const root = join(import.meta.dirname, '..')
const reset = process.argv.includes('--reset')

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

const webIndex = join(root, 'dist/tandem-web/index.html')
const webSource = join(root, 'src/tandem/web')
if (
  existsSync(join(webSource, 'index.html')) &&
  (!existsSync(webIndex) || statSync(webIndex).mtimeMs < newestMtime(webSource))
) {
  console.log('Building the web client…')
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  )
}

const env = { ...process.env }
// Without a database URL this is the demo: embedded database and demo data.
if (!env.TANDEM_DATABASE_URL) env.TANDEM_DEMO ??= '1'
env.LOG_LEVEL ??= 'warn'
const config = loadTandemConfig(env)
if (reset) console.log(`Resetting the demo data under ${config.dataDir}`)
const tandem = await startTandem(config, {
  resetDemo: reset,
  progress: (step) => console.log(`  seeding: ${step}`),
})
closeOnSignals(tandem.close)

console.log(`
Tandem   ${config.publicOrigin}   (listening on ${tandem.url})
${config.demo ? `Demo logins (password "${DEMO_PASSWORD}"): ${DEMO_USERS.map((u) => u.username).join(', ')}` : ''}
Data: ${config.databaseUrl ? 'PostgreSQL (TANDEM_DATABASE_URL)' : config.dataDir}   Reset the demo with: npm start -- --reset
Stop with Ctrl+C.`)
