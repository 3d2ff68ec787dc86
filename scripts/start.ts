// npm start: builds the web clients when missing or stale, then runs Tandem (3000) and Marquee (4000) in
// demo mode: embedded databases under DATA_DIR, demo people, conversations and watch histories, and
// Marquee registered on Tandem as a partner with its agreements. Prints where to go.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { closeOnSignals } from '../src/lib/http/signals.ts'
import { loadMarqueeConfig } from '../src/marquee/config.ts'
import { startMarquee } from '../src/marquee/main.ts'
import { saveTandemRegistration } from '../src/marquee/tandem-link/registration.ts'
import { loadTandemConfig } from '../src/tandem/config.ts'
import { DEMO_PASSWORD, DEMO_USERS, registerDemoPartner } from '../src/tandem/demo.ts'
import { startTandem } from '../src/tandem/main.ts'

const root = join(import.meta.dirname, '..')
const reset = process.argv.includes('--reset')

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

for (const [name, config] of [
  ['tandem', 'vite.config.ts'],
  ['marquee', 'vite.marquee.config.ts'],
] as const) {
  const index = join(root, `dist/${name}-web/index.html`)
  const source = join(root, `src/${name}/web`)
  if (
    existsSync(join(source, 'index.html')) &&
    (!existsSync(index) || statSync(index).mtimeMs < newestMtime(source))
  ) {
    console.log(`Building the ${name === 'tandem' ? 'Tandem' : 'Marquee'} web client…`)
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/vite/bin/vite.js'), 'build', '-c', config, '--logLevel', 'warn'],
      { cwd: root, stdio: 'inherit' },
    )
  }
}

const env = { ...process.env }
// Without database URLs this is the demo: embedded databases and demo data.
if (!env.TANDEM_DATABASE_URL) env.TANDEM_DEMO ??= '1'
if (!env.MARQUEE_DATABASE_URL) env.MARQUEE_DEMO ??= '1'
env.LOG_LEVEL ??= 'warn'
const tandemConfig = loadTandemConfig(env)
env.TANDEM_ISSUER ??= tandemConfig.publicOrigin
const marqueeConfig = loadMarqueeConfig(env)
if (reset) console.log(`Resetting the demo data under ${join(tandemConfig.dataDir, '..')}`)
const progress = (step: string) => console.log(`  seeding: ${step}`)

const tandem = await startTandem(tandemConfig, { resetDemo: reset, progress })
let marquee: Awaited<ReturnType<typeof startMarquee>> | undefined
const closeBoth = async () => {
  await marquee?.close()
  await tandem.close()
}
closeOnSignals(closeBoth)
marquee = await startMarquee(marqueeConfig, { resetDemo: reset, progress })

// The demo's operator step: Marquee registered on Tandem, and Tandem's webhook secret kept by Marquee.
if (tandemConfig.demo && marqueeConfig.demo) {
  const registered = await registerDemoPartner(tandem.ctx.db, tandem.ctx, marqueeConfig.publicOrigin)
  if (registered) {
    progress('registering Marquee on Tandem')
    await saveTandemRegistration(marquee.ctx, registered)
  }
}

const logins = DEMO_USERS.map((u) => u.username).join(', ')
console.log(`
Tandem   ${tandemConfig.publicOrigin}   (listening on ${tandem.url})
Marquee  ${marqueeConfig.publicOrigin}   (listening on ${marquee.url})
${tandemConfig.demo ? `Demo logins on both (password "${DEMO_PASSWORD}"): ${logins}` : ''}
Data: ${tandemConfig.databaseUrl ? 'PostgreSQL (TANDEM_DATABASE_URL)' : tandemConfig.dataDir}, ${marqueeConfig.databaseUrl ? 'PostgreSQL (MARQUEE_DATABASE_URL)' : marqueeConfig.dataDir}   Reset the demo with: npm start -- --reset
Stop with Ctrl+C.`)
