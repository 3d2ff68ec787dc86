import { parseArgs } from 'node:util'
import { ZodError } from 'zod'
import { systemClock } from '../lib/clock.ts'
import { openDb } from '../lib/db.ts'
import { zodIssues } from '../lib/errors.ts'
import { migrateToLatest } from '../lib/migrate.ts'
import { SecretBox } from '../lib/secret-box.ts'
import { loadMarqueeConfig } from './config.ts'
import type { MarqueeContext } from './context.ts'
import type { MarqueeDatabase } from './db.ts'
import { RecentSends } from './events/recent-sends.ts'
import { rebuildRollups } from './events/rollups-rebuild.ts'
import { SenderCountsWorker } from './events/sender-counts.ts'
import { migrations } from './migrations/index.ts'
import { type ReportCommand, runReportCommand } from './reports/report-command.ts'
import { ALGS, type KeyAlg, publicJwks, rotateSigningKeys, signingKeys } from './tandem-link/keys.ts'
import {
  loadTandemRegistration,
  saveTandemRegistration,
  TandemRegistrationInput,
} from './tandem-link/registration.ts'

export const USAGE = `Marquee administration

Usage: node src/marquee/cli.ts <command> [options]   (or: npm run cli:marquee -- <command> …)

Commands:
  tandem-register --client-id ID [--webhook-secret SECRET]
      Keep Marquee's registration at Tandem: the client id Tandem gave and the webhook secret it showed once
      (sealed in the database). The secret may come from MARQUEE_TANDEM_WEBHOOK_SECRET instead, so it
      stays out of the process list.

  tandem-status
      Whether Marquee knows its registration at Tandem (the secret is never printed).

  jwks
      Print Marquee's public JWK Set (what Tandem reads at <marquee>/.well-known/jwks.json).

  rotate-keys [--alg EdDSA|ES256] [--compromised]
      Replace Marquee's signing keys (both, or the one named). The new keys are published at once and
      sign from 15 minutes on, by when Tandem's cached copy of the JWK Set has them; the old keys sign
      until then and stay published a day after. Running servers take the change up by themselves.
      --compromised: the new keys sign at once and the old ones leave the JWK Set at once; Tandem may
      refuse what the new keys sign until its copy of the set expires (at most five minutes).

  rebuild-rollups
      Rebuild every table derived from the raw events (daily rollups, late bucket, per-sender counts and
      the precomputed clipping) in one transaction, stage by stage on stderr. Ingest waits meanwhile.
      For recovery, and once after an upgrade whose rollups gained a table.

  report --period-end YYYY-MM-DD [--dry-run] [--no-noise] [--epsilon E] [--status provisional|final]
      Release the 14-day partner report ending that day and deliver it to Tandem (signed with Marquee's
      EdDSA key), with a progress bar on stderr; a second delivery of a period is a restatement of the
      last. The privacy budget is checked first: an overspend is refused and nothing is sent. ε per day
      defaults to half the day's limit for a provisional version and what is left for a final one.
      --dry-run builds the report and says what a delivery would spend, storing and sending nothing
      (no counts shown: noisy counts shown are a release); --no-noise (dry run only) shows exact totals.

The database and secret key are those of the server (MARQUEE_DATABASE_URL, DATA_DIR, MARQUEE_SECRET_KEY).
With the embedded database, stop the server first: only one process may open it.
Exit codes: 0 done, 1 refused or failed, 2 bad usage.`

export interface CliIo {
  out: (text: string) => void
  err: (text: string) => void
  /** The report command's progress bar; stderr by default. */
  progress?: { write: (text: string) => void; isTTY?: boolean }
}

class UsageError extends Error {}

type Env = Record<string, string | undefined>

type Command =
  | { name: 'tandem-register'; clientId: string; webhookSecret: string }
  | { name: 'tandem-status' }
  | { name: 'jwks' }
  | { name: 'rebuild-rollups' }
  | { name: 'rotate-keys'; algs: readonly KeyAlg[]; compromised: boolean }
  | ({ name: 'report' } & ReportCommand)
  | { name: 'help' }

function parseCommand(argv: string[], env: Env): Command {
  const [name, ...args] = argv
  switch (name) {
    case undefined:
      throw new UsageError('give a command')
    case 'help':
    case '--help':
    case '-h':
      return { name: 'help' }
    case 'tandem-register': {
      const { values, positionals } = parseArgs({
        args,
        options: { 'client-id': { type: 'string' }, 'webhook-secret': { type: 'string' } },
        allowPositionals: true,
        strict: true,
      })
      if (positionals.length) throw new UsageError(`unexpected argument: ${positionals[0]}`)
      const clientId = values['client-id']
      const webhookSecret = values['webhook-secret'] ?? env.MARQUEE_TANDEM_WEBHOOK_SECRET
      if (!clientId) throw new UsageError('give --client-id')
      if (!webhookSecret) throw new UsageError('give --webhook-secret (or MARQUEE_TANDEM_WEBHOOK_SECRET)')
      return { name: 'tandem-register', ...TandemRegistrationInput.parse({ clientId, webhookSecret }) }
    }
    case 'report': {
      const { values, positionals } = parseArgs({
        args,
        options: {
          'period-end': { type: 'string' },
          'dry-run': { type: 'boolean', default: false },
          'no-noise': { type: 'boolean', default: false },
          epsilon: { type: 'string' },
          status: { type: 'string' },
        },
        allowPositionals: true,
        strict: true,
      })
      if (positionals.length) throw new UsageError(`unexpected argument: ${positionals[0]}`)
      const periodEnd = values['period-end']
      if (!periodEnd || !/^\d{4}-\d{2}-\d{2}$/.test(periodEnd))
        throw new UsageError('give --period-end YYYY-MM-DD')
      if (values['no-noise'] && !values['dry-run']) {
        throw new UsageError('--no-noise only with --dry-run: a report leaves Marquee noised')
      }
      const epsilon = values.epsilon === undefined ? undefined : Number(values.epsilon)
      if (epsilon !== undefined && !(epsilon > 0)) throw new UsageError('--epsilon must be a positive number')
      const status = values.status
      if (status !== undefined && status !== 'provisional' && status !== 'final') {
        throw new UsageError('--status is provisional or final')
      }
      return {
        name: 'report',
        periodEnd,
        dryRun: values['dry-run'],
        noNoise: values['no-noise'],
        ...(epsilon !== undefined ? { epsilonPerDay: epsilon } : {}),
        ...(status ? { status } : {}),
      }
    }
    case 'rotate-keys': {
      const { values, positionals } = parseArgs({
        args,
        options: { alg: { type: 'string' }, compromised: { type: 'boolean', default: false } },
        allowPositionals: true,
        strict: true,
      })
      if (positionals.length) throw new UsageError(`unexpected argument: ${positionals[0]}`)
      const alg = values.alg
      if (alg !== undefined && !ALGS.includes(alg as KeyAlg)) throw new UsageError('--alg is EdDSA or ES256')
      return {
        name: 'rotate-keys',
        algs: alg === undefined ? ALGS : [alg as KeyAlg],
        compromised: values.compromised,
      }
    }
    case 'tandem-status':
    case 'rebuild-rollups':
    case 'jwks':
      if (args.length) throw new UsageError(`unexpected argument: ${args[0]}`)
      return { name }
    default:
      throw new UsageError(`unknown command: ${name}`)
  }
}

/** Runs one command; returns the exit code. */
export async function runCli(argv: string[], env: Env = process.env, io: CliIo = defaultIo): Promise<number> {
  let command: Command
  try {
    command = parseCommand(argv, env)
  } catch (error) {
    if (error instanceof UsageError || (error instanceof Error && 'code' in error)) {
      io.err(`${error.message}\n\n${USAGE}`)
      return 2
    }
    if (error instanceof ZodError) {
      for (const issue of zodIssues(error)) io.err(`${issue.path}: ${issue.message}`)
      return 2
    }
    throw error
  }
  if (command.name === 'help') {
    io.out(USAGE)
    return 0
  }
  const config = loadMarqueeConfig(env)
  const database = await openDb<MarqueeDatabase>({ url: config.databaseUrl, dataDir: config.dataDir })
  try {
    await migrateToLatest(database.db as never, migrations)
    const ctx = { db: database.db, secrets: new SecretBox(config.secretKey), clock: systemClock, config }
    switch (command.name) {
      case 'tandem-register': {
        await saveTandemRegistration(ctx, command)
        io.out(`Registration at Tandem saved: client id ${command.clientId}.`)
        if (config.tandem.clientId || config.tandem.webhookSecret)
          io.out(
            'Note: MARQUEE_TANDEM_CLIENT_ID / MARQUEE_TANDEM_WEBHOOK_SECRET in the environment take precedence.',
          )
        return 0
      }
      case 'tandem-status': {
        const registration = await loadTandemRegistration(ctx)
        io.out(
          registration
            ? `Registered at ${config.tandem.issuer} as ${registration.clientId}; webhook secret known.`
            : `Not registered at ${config.tandem.issuer} yet: run tandem-register.`,
        )
        return registration ? 0 : 1
      }
      case 'jwks':
        io.out(JSON.stringify(await publicJwks(ctx), null, 2))
        return 0
      case 'rebuild-rollups': {
        const started = performance.now()
        const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`
        const progress = io.progress ?? process.stderr
        const { rollups, senderRows } = await rebuildRollups(database.db, {
          onStage: (stage) => progress.write(`[${elapsed()}] ${stage}\n`),
        })
        io.out(`Rebuilt in ${elapsed()}: ${rollups} rollup rows, ${senderRows} sender-day-cell rows.`)
        return 0
      }
      case 'rotate-keys': {
        await signingKeys(ctx)
        const { retired, created, signsFrom } = await rotateSigningKeys(ctx, command)
        io.out(
          `New signing keys, published now, signing from ${signsFrom.toISOString()}: ${created.join(', ')}.`,
        )
        if (retired.length && command.compromised) io.out(`Withdrawn at once: ${retired.join(', ')}.`)
        else if (retired.length) io.out(`Replaced, published until a day after that: ${retired.join(', ')}.`)
        return 0
      }
      case 'report': {
        const full: MarqueeContext = {
          ...ctx,
          database,
          log: undefined,
          // The CLI records no events; a report applies what ingest queued itself.
          senderCounts: new SenderCountsWorker(ctx.db, () => {}),
          recentSends: new RecentSends(),
          watchListeners: [],
          tandem: { clientFor: async () => undefined },
        }
        return await runReportCommand(full, command, {
          out: io.out,
          progress: io.progress ?? {
            write: (text) => process.stderr.write(text),
            isTTY: process.stderr.isTTY,
          },
        })
      }
    }
  } catch (error) {
    io.err(error instanceof Error ? error.message : String(error))
    return 1
  } finally {
    await database.close()
  }
}

const defaultIo: CliIo = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2))
}
