import { readFileSync } from 'node:fs'
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { ZodError } from 'zod'
import { DisplayName, Password, Username } from '../lib/account-fields.ts'
import { systemClock } from '../lib/clock.ts'
import { openDb } from '../lib/db.ts'
import { AppError, zodIssues } from '../lib/errors.ts'
import { migrateToLatest } from '../lib/migrate.ts'
import { SecretBox } from '../lib/secret-box.ts'
import { findUserByUsername, setUserAdmin } from './accounts/accounts.repository.ts'
import { signUp } from './accounts/accounts.service.ts'
import { loadTandemConfig, type TandemConfig } from './config.ts'
import type { Db, TandemDatabase } from './db.ts'
import { migrations } from './migrations/index.ts'
import {
  type AgreementDeps,
  activeAgreements,
  createAgreements,
  endAgreement,
  extendAgreement,
} from './partners/agreements.service.ts'
import { partnerUrlRules } from './partners/partner-urls.ts'
import {
  AgreementParams,
  CreateAgreementsBody,
  type CreateAgreementsInput,
  type CreatePartner,
  CreatePartnerBody,
  EndAgreementBody,
  ExtendAgreementBody,
} from './partners/partners.schemas.ts'
import { listPartners, registerPartner } from './partners/partners.service.ts'
import { enqueueAgreementWebhook } from './webhooks/webhooks.events.ts'

export const USAGE = `Tandem administration

Usage: node src/tandem/cli.ts <command> [options]

Commands:
  create-admin <username> [--display-name NAME] [--password PASSWORD]
      Create an administrator, or make an existing user one (their password is left alone).
      The password may come from TANDEM_ADMIN_PASSWORD instead (better: it stays out of the process list).

  register-partner --name NAME --homepage URL --privacy URL --redirect-uri URL [--redirect-uri URL ...]
                   (--jwks-uri URL | --jwks-file PATH) [--webhook-url URL] [--logo URL]
                   [--client-id ID] [--dpop]
      Register a partner app. Prints its client id and its webhook secret, which is shown only once.

  create-agreement --client-id ID --apis inbox,friends,activity,reporting --valid-until DATE
                   [--valid-from DATE] [--report-every-days N] [--deletion-receipt-days N]
      Whitelist a partner for privileged APIs until DATE (a bare date means the end of that UTC day).

  extend-agreement <agreementId> --valid-until DATE
      Replace an agreement by a new version that ends later.

  end-agreement <agreementId> --reason TEXT
      End an agreement now.

  list-partners
      Every partner, its status and the APIs its agreements cover today.

The database and secret key are those of the server (TANDEM_DATABASE_URL, DATA_DIR, TANDEM_SECRET_KEY).
With the embedded database, stop the server first: only one process may open it.
Exit codes: 0 done, 1 refused or failed, 2 bad usage.`

export interface CliIo {
  out: (text: string) => void
  err: (text: string) => void
}

type Env = Record<string, string | undefined>

class UsageError extends Error {}

interface Run {
  config: TandemConfig
  db: Db
  env: Env
  io: CliIo
}

type Command = (run: Run) => Promise<number>

/** As in the server: the partner hears of every agreement change by webhook, queued in the same transaction. */
const agreementDeps: AgreementDeps = {
  clock: systemClock,
  onAgreementChange: (trx, change) => enqueueAgreementWebhook(trx, systemClock, change),
}

/**
 * Parses and validates the command line into a command to run against the database, so bad input is
 * refused before the database is opened; throws UsageError or the schemas' ZodError.
 */
function parseCommand(argv: string[]): Command | 'help' {
  const [name, ...args] = argv
  const parse = <O extends ParseArgsOptionsConfig>(options: O) =>
    parseArgs({ args, options, allowPositionals: true, strict: true })
  switch (name) {
    case undefined:
      throw new UsageError('give a command')
    case 'help':
    case '--help':
    case '-h':
      return 'help'
    case 'create-admin': {
      const { values, positionals } = parse({
        'display-name': { type: 'string' },
        password: { type: 'string' },
      })
      const username = Username.parse(single(positionals, '<username>'))
      const displayName = DisplayName.parse(values['display-name'] ?? username)
      const password = values.password !== undefined ? Password.parse(values.password) : undefined
      return (run) => createAdmin(run, username, displayName, password)
    }
    case 'register-partner': {
      const { values, positionals } = parse({
        name: { type: 'string' },
        homepage: { type: 'string' },
        privacy: { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        'jwks-uri': { type: 'string' },
        'jwks-file': { type: 'string' },
        'webhook-url': { type: 'string' },
        logo: { type: 'string' },
        'client-id': { type: 'string' },
        dpop: { type: 'boolean' },
      })
      none(positionals)
      const name = required(values.name, '--name')
      const homepageUrl = required(values.homepage, '--homepage')
      const privacyPolicyUrl = required(values.privacy, '--privacy')
      const redirectUris = values['redirect-uri'] ?? []
      if (redirectUris.length === 0) throw new UsageError('give at least one --redirect-uri')
      const jwksUri = values['jwks-uri']
      const jwksFile = values['jwks-file']
      if ((jwksUri === undefined) === (jwksFile === undefined))
        throw new UsageError('give exactly one of --jwks-uri or --jwks-file')
      const input = CreatePartnerBody.parse({
        name,
        homepageUrl,
        privacyPolicyUrl,
        redirectUris,
        ...(jwksUri !== undefined ? { jwksUri } : { jwks: readJson(jwksFile!) }),
        ...(values['webhook-url'] !== undefined ? { webhookUrl: values['webhook-url'] } : {}),
        ...(values.logo !== undefined ? { logoUrl: values.logo } : {}),
        ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
        ...(values.dpop ? { dpopBoundAccessTokens: true } : {}),
      })
      return (run) => registerPartnerCommand(run, input)
    }
    case 'create-agreement': {
      const { values, positionals } = parse({
        'client-id': { type: 'string' },
        apis: { type: 'string' },
        'valid-from': { type: 'string' },
        'valid-until': { type: 'string' },
        'report-every-days': { type: 'string' },
        'deletion-receipt-days': { type: 'string' },
      })
      none(positionals)
      const reportEveryDays = integer(values['report-every-days'], '--report-every-days')
      const deletionReceiptDays = integer(values['deletion-receipt-days'], '--deletion-receipt-days')
      const input = CreateAgreementsBody.parse({
        clientId: required(values['client-id'], '--client-id'),
        apis: required(values.apis, '--apis')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        validUntil: required(values['valid-until'], '--valid-until'),
        ...(values['valid-from'] !== undefined ? { validFrom: values['valid-from'] } : {}),
        ...(reportEveryDays !== undefined || deletionReceiptDays !== undefined
          ? {
              obligations: {
                ...(reportEveryDays !== undefined ? { reportEveryDays } : {}),
                ...(deletionReceiptDays !== undefined ? { deletionReceiptDays } : {}),
              },
            }
          : {}),
      })
      return (run) => createAgreementCommand(run, input)
    }
    case 'extend-agreement': {
      const { values, positionals } = parse({ 'valid-until': { type: 'string' } })
      const given = {
        id: single(positionals, '<agreementId>'),
        validUntil: required(values['valid-until'], '--valid-until'),
      }
      const { id } = AgreementParams.parse({ id: given.id })
      const { validUntil } = ExtendAgreementBody.parse({ validUntil: given.validUntil })
      return async (run) => {
        const { agreement, superseded } = await extendAgreement(run.db, agreementDeps, id, {
          validUntil,
        })
        run.io.out(`Agreement ${superseded.id} (${superseded.api} v${superseded.version}) superseded by:`)
        run.io.out(describeAgreement(agreement))
        return 0
      }
    }
    case 'end-agreement': {
      const { values, positionals } = parse({ reason: { type: 'string' } })
      const given = { id: single(positionals, '<agreementId>'), reason: required(values.reason, '--reason') }
      const { id } = AgreementParams.parse({ id: given.id })
      const { reason } = EndAgreementBody.parse({ reason: given.reason })
      return async (run) => {
        const agreement = await endAgreement(run.db, agreementDeps, id, reason)
        run.io.out(
          `Ended agreement ${agreement.id} (${agreement.client_id} ${agreement.api} v${agreement.version}).`,
        )
        return 0
      }
    }
    case 'list-partners': {
      none(parse({}).positionals)
      return listPartnersCommand
    }
    default:
      throw new UsageError(`unknown command: ${name}`)
  }
}

async function createAdmin(
  run: Run,
  username: string,
  displayName: string,
  password: string | undefined,
): Promise<number> {
  const existing = await findUserByUsername(run.db, username)
  if (existing) {
    if (existing.is_admin) {
      run.io.out(`${existing.username} is already an administrator.`)
      return 0
    }
    await setUserAdmin(run.db, existing.id)
    run.io.out(`Made ${existing.username} an administrator (password unchanged).`)
    return 0
  }
  const secret = password ?? run.env.TANDEM_ADMIN_PASSWORD
  if (!secret) throw new UsageError('a new administrator needs --password or TANDEM_ADMIN_PASSWORD')
  const user = await signUp(run.db, {
    username,
    displayName,
    password: Password.parse(secret),
    isAdmin: true,
  })
  run.io.out(`Created administrator ${user.username} (${user.id}).`)
  return 0
}

async function registerPartnerCommand(run: Run, input: CreatePartner): Promise<number> {
  const deps = {
    clock: systemClock,
    secrets: new SecretBox(run.config.secretKey),
    urls: partnerUrlRules(run.config),
  }
  const { partner, webhookSecret } = await registerPartner(run.db, deps, input)
  run.io.out(`Registered partner ${partner.name}.`)
  run.io.out(`client id:      ${partner.client_id}`)
  run.io.out(`webhook secret: ${webhookSecret}`)
  run.io.out('The webhook secret is shown only this once: give it to the partner now.')
  return 0
}

async function createAgreementCommand(run: Run, input: CreateAgreementsInput): Promise<number> {
  const agreements = await createAgreements(run.db, agreementDeps, { ...input, createdBy: null })
  run.io.out(
    `Created ${agreements.length} agreement${agreements.length === 1 ? '' : 's'} for ${input.clientId}:`,
  )
  for (const a of agreements) run.io.out(describeAgreement(a))
  return 0
}

async function listPartnersCommand(run: Run): Promise<number> {
  const partners = await listPartners(run.db)
  if (partners.length === 0) {
    run.io.out('No partners yet.')
    return 0
  }
  const now = systemClock.now()
  const rows = [['CLIENT ID', 'STATUS', 'APIS IN FORCE', 'NAME']]
  for (const p of partners) {
    const apis =
      p.status === 'active' ? (await activeAgreements(run.db, p.client_id, now)).map((a) => a.api) : []
    rows.push([p.client_id, p.status, apis.join(',') || '-', p.name])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  for (const r of rows)
    run.io.out(r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
  return 0
}

function describeAgreement(a: {
  id: string
  api: string
  version: number
  valid_from: Date
  valid_until: Date
}): string {
  return `  ${a.id}  ${a.api} v${a.version}  ${a.valid_from.toISOString()} → ${a.valid_until.toISOString()}`
}

function single(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`give exactly one ${what}`)
  return positionals[0]!
}

function none(positionals: string[]): void {
  if (positionals.length) throw new UsageError(`unexpected argument: ${positionals[0]}`)
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`)
  return value
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,6}$/.test(value)) throw new UsageError(`${flag} must be a whole number`)
  return Number(value)
}

function readJson(path: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new AppError(400, 'file_unreadable', `cannot read ${path}: ${(error as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new AppError(400, 'invalid_json', `${path} is not valid JSON`)
  }
}

function report(error: unknown, io: CliIo): number {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    io.err(`${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (error instanceof AppError) {
    io.err(`error: ${error.message} (${error.code})`)
    if (error.details !== undefined) io.err(JSON.stringify(error.details, null, 2))
    return 1
  }
  if (error instanceof ZodError) {
    io.err('error: the input is not valid (validation_failed)')
    for (const issue of zodIssues(error)) io.err(`  ${issue.path || '(input)'}: ${issue.message}`)
    return 1
  }
  io.err(`error: ${error instanceof Error ? error.message : String(error)}`)
  return 1
}

/** Runs one command; returns the exit code. The database is opened only for a well-formed command, and closed. */
export async function runCli(argv: string[], env: Env, io: CliIo): Promise<number> {
  let command: Command | 'help'
  try {
    command = parseCommand(argv)
  } catch (error) {
    return report(error, io)
  }
  if (command === 'help') {
    io.out(USAGE)
    return 0
  }
  let config: TandemConfig
  try {
    config = loadTandemConfig(env)
  } catch (error) {
    return report(error, io)
  }
  const database = await openDb<TandemDatabase>({ url: config.databaseUrl, dataDir: config.dataDir })
  try {
    await migrateToLatest(database.db as never, migrations)
    return await command({ config, db: database.db, env, io })
  } catch (error) {
    return report(error, io)
  } finally {
    await database.close()
  }
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2), process.env, {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  })
}
