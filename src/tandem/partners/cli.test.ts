import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type Database, openDb } from '../../lib/db.ts'
import { parseSecretKey, SecretBox } from '../../lib/secret-box.ts'
import { createTestDatabase, type TestDatabase } from '../../lib/testing/test-db.ts'
import { signUp } from '../accounts/accounts.service.ts'
import { runCli } from '../cli.ts'
import type { TandemDatabase } from '../db.ts'
import { migrations } from '../migrations/index.ts'
import { webhookSecretContext } from '../webhooks/webhooks.service.ts'

const CLI = join(import.meta.dirname, '..', 'cli.ts')

interface Outcome {
  code: number | null
  stdout: string
  stderr: string
}

/** The CLI as a process, against this file's database: the embedded one in a temp DATA_DIR, or PostgreSQL. */
function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...baseEnv, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/**
 * In-process, with the same environment: usage and validation errors (refused before any database is
 * opened) and the paths a spawned run already proves, without paying for a process each time.
 */
async function cliInProcess(args: string[], extraEnv: Record<string, string> = {}): Promise<Outcome> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(
    args,
    { ...baseEnv, ...extraEnv },
    {
      out: (s) => {
        stdout += `${s}\n`
      },
      err: (s) => {
        stderr += `${s}\n`
      },
    },
  )
  return { code, stdout, stderr }
}

let dataDir: string
let baseEnv: Record<string, string>
let pg: TestDatabase<TandemDatabase> | undefined
before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tandem-cli-'))
  if (process.env.TEST_DATABASE_URL) pg = await createTestDatabase<TandemDatabase>('tandem', migrations)
  baseEnv = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    ...(pg?.url ? { TANDEM_DATABASE_URL: pg.url } : {}),
  }
})
after(async () => {
  await pg?.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Opens the database the CLI wrote to, once its process has exited. */
async function withDatabase<T>(fn: (db: Database<TandemDatabase>) => Promise<T>): Promise<T> {
  if (pg) return fn(pg)
  const database = await openDb<TandemDatabase>({ dataDir: join(dataDir, 'tandem') })
  try {
    return await fn(database)
  } finally {
    await database.close()
  }
}

describe('cli usage', () => {
  test('help prints the usage; no command, unknown commands and options, missing flags exit 2', async () => {
    const help = await cliInProcess(['help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /^Tandem administration/)
    assert.match(help.stdout, /register-partner --name NAME/)
    const cases: Array<[string[], RegExp]> = [
      [[], /give a command/],
      [['launch-rockets'], /unknown command: launch-rockets/],
      [['list-partners', '--verbose'], /Unknown option '--verbose'/],
      [['list-partners', 'extra'], /unexpected argument: extra/],
      [['create-admin'], /give exactly one <username>/],
      [['register-partner', '--homepage', 'https://p.example/'], /--name is required/],
      [
        [
          'register-partner',
          '--name',
          'P',
          '--homepage',
          'https://p.example/',
          '--privacy',
          'https://p.example/p',
          '--redirect-uri',
          'https://p.example/cb',
        ],
        /give exactly one of --jwks-uri or --jwks-file/,
      ],
      [
        [
          'create-agreement',
          '--client-id',
          'p',
          '--apis',
          'inbox',
          '--valid-until',
          '2027-01-01',
          '--report-every-days',
          'often',
        ],
        /--report-every-days must be a whole number/,
      ],
      [['end-agreement', 'some-id'], /--reason is required/],
    ]
    for (const [args, message] of cases) {
      const res = await cliInProcess(args)
      assert.equal(res.code, 2, args.join(' '))
      assert.match(res.stderr, message, args.join(' '))
      assert.match(res.stderr, /Usage: node src\/tandem\/cli\.ts/, 'usage follows the message')
    }
  })
})

describe('cli validation', () => {
  test('values are checked by the API schemas before the database is opened, exit 1 validation_failed', async () => {
    const cases: string[][] = [
      ['create-admin', 'weakling', '--password', 'short'],
      ['create-admin', 'not a name', '--password', 'correct horse battery'],
      ['create-agreement', '--client-id', 'p-1', '--apis', 'messages', '--valid-until', '2099-01-01'],
      ['create-agreement', '--client-id', 'p-1', '--apis', 'inbox', '--valid-until', 'tomorrow'],
      ['end-agreement', 'not-a-uuid', '--reason', 'x'],
      ['extend-agreement', '00000000-0000-4000-8000-000000000000', '--valid-until', '2027-02-30'],
      [
        'register-partner',
        '--name',
        'P',
        '--homepage',
        'https://p.example/',
        '--privacy',
        'https://p.example/p',
        '--redirect-uri',
        'https://p.example/cb',
        '--jwks-uri',
        'https://p.example/jwks',
        '--client-id',
        'Bad_Id',
      ],
    ]
    for (const args of cases) {
      const res = await cliInProcess(args, { DATA_DIR: '/nonexistent/never-opened' })
      assert.equal(res.code, 1, args.join(' '))
      assert.match(res.stderr, /^error: the input is not valid \(validation_failed\)$/m, args.join(' '))
    }
  })
})

describe('cli against a database', () => {
  let clientId: string
  let webhookSecret: string
  let agreementIds: string[]

  test('spawned: create-admin and register-partner; each process exits', async () => {
    const admin = await cli(['create-admin', 'root', '--display-name', 'Root Admin'], {
      TANDEM_ADMIN_PASSWORD: 'correct horse battery',
    })
    assert.equal(admin.code, 0, admin.stderr)
    assert.match(admin.stdout, /^Created administrator root \([0-9a-f-]{36}\)\.$/m)

    const jwksFile = join(dataDir, 'jwks.json')
    const key = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...key, kid: 'report-2026' }] }))
    const partner = await cli([
      'register-partner',
      '--name',
      'Marquee',
      '--homepage',
      'https://marquee.example/',
      '--privacy',
      'https://marquee.example/privacy',
      '--redirect-uri',
      'http://localhost:4000/auth/tandem/callback',
      '--redirect-uri',
      'https://marquee.example/auth/tandem/callback',
      '--jwks-file',
      jwksFile,
      '--webhook-url',
      'http://localhost:4000/webhooks/tandem',
      '--client-id',
      'marquee',
    ])
    assert.equal(partner.code, 0, partner.stderr)
    clientId = /^client id:\s+(\S+)$/m.exec(partner.stdout)?.[1] ?? ''
    webhookSecret = /^webhook secret:\s+(\S+)$/m.exec(partner.stdout)?.[1] ?? ''
    assert.equal(clientId, 'marquee')
    assert.match(webhookSecret, /^whsec_[A-Za-z0-9_-]{43}$/)
  })

  test('spawned: create-agreement and list-partners', async () => {
    const created = await cli([
      'create-agreement',
      '--client-id',
      clientId,
      '--apis',
      'inbox,friends',
      '--valid-until',
      '2099-06-30',
      '--report-every-days',
      '14',
    ])
    assert.equal(created.code, 0, created.stderr)
    assert.match(created.stdout, /^Created 2 agreements for marquee:$/m)
    agreementIds = [
      ...created.stdout.matchAll(/^ {2}([0-9a-f-]{36}) {2}(\w+) v1 {2}\S+ → 2099-07-01T00:00:00\.000Z$/gm),
    ].map((m) => m[1]!)
    assert.equal(agreementIds.length, 2)

    const list = await cli(['list-partners'])
    assert.equal(list.code, 0, list.stderr)
    assert.equal(
      list.stdout,
      'CLIENT ID  STATUS  APIS IN FORCE  NAME\nmarquee    active  friends,inbox  Marquee\n',
    )
  })

  test('create-admin leaves an administrator alone, promotes an existing user, needs a password for a new one', async () => {
    const again = await cliInProcess(['create-admin', 'root'])
    assert.equal(again.code, 0, again.stderr)
    assert.equal(again.stdout, 'root is already an administrator.\n')
    await withDatabase(async ({ db }) => {
      await signUp(db, { username: 'ordinary', displayName: 'Ordinary', password: 'correct horse battery' })
    })
    const promoted = await cliInProcess(['create-admin', 'ordinary', '--password', 'ignored password'])
    assert.equal(promoted.code, 0, promoted.stderr)
    assert.equal(promoted.stdout, 'Made ordinary an administrator (password unchanged).\n')
    const noPassword = await cliInProcess(['create-admin', 'someone'])
    assert.equal(noPassword.code, 2)
    assert.match(noPassword.stderr, /^a new administrator needs --password or TANDEM_ADMIN_PASSWORD$/m)
  })

  test('register-partner refuses an http redirect URI (SECURITY row 3) and unreadable key files', async () => {
    const base = [
      'register-partner',
      '--name',
      'Marquee',
      '--homepage',
      'https://marquee.example/',
      '--privacy',
      'https://marquee.example/privacy',
    ]
    const refused = await cliInProcess([
      ...base,
      '--redirect-uri',
      'http://partner.example/cb',
      '--jwks-uri',
      'https://marquee.example/jwks',
    ])
    assert.equal(refused.code, 1)
    assert.equal(
      refused.stderr,
      'error: redirectUris[0] must use https (http only for localhost, 127.0.0.1 or [::1], and only in development) (invalid_redirect_uri)\n' +
        '{\n  "field": "redirectUris[0]",\n  "reason": "https_required"\n}\n',
    )
    const taken = await cliInProcess([
      ...base,
      '--redirect-uri',
      'https://m.example/cb',
      '--jwks-uri',
      'https://m.example/jwks',
      '--client-id',
      'marquee',
    ])
    assert.equal(taken.code, 1)
    assert.match(taken.stderr, /^error: a partner with that client id exists \(client_id_taken\)$/m)
    const missingFile = await cliInProcess([
      ...base,
      '--redirect-uri',
      'https://m.example/cb',
      '--jwks-file',
      join(dataDir, 'none.json'),
    ])
    assert.equal(missingFile.code, 1)
    assert.match(missingFile.stderr, /^error: cannot read .*none\.json.* \(file_unreadable\)$/m)
  })

  test('end-agreement ends once; list-partners shows what is left in force', async () => {
    const ended = await cliInProcess(['end-agreement', agreementIds[0]!, '--reason', 'test over'])
    assert.equal(ended.code, 0, ended.stderr)
    assert.match(ended.stdout, /^Ended agreement .* \(marquee inbox v1\)\.$/m)
    const twice = await cliInProcess(['end-agreement', agreementIds[0]!, '--reason', 'again'])
    assert.equal(twice.code, 1)
    assert.equal(
      twice.stderr,
      'error: this agreement has ended; create a new one instead (agreement_ended)\n',
    )
    const list = await cliInProcess(['list-partners'])
    assert.equal(
      list.stdout,
      'CLIENT ID  STATUS  APIS IN FORCE  NAME\nmarquee    active  friends        Marquee\n',
    )
  })

  test('what the CLI wrote is what the server reads', async () => {
    await withDatabase(async ({ db }) => {
      const root = await db
        .selectFrom('users')
        .selectAll()
        .where('username', '=', 'root')
        .executeTakeFirstOrThrow()
      assert.equal(root.is_admin, true)
      assert.equal(root.display_name, 'Root Admin')
      const ordinary = await db
        .selectFrom('users')
        .selectAll()
        .where('username', '=', 'ordinary')
        .executeTakeFirstOrThrow()
      assert.equal(ordinary.is_admin, true)
      const partner = await db
        .selectFrom('partner_apps')
        .selectAll()
        .where('client_id', '=', 'marquee')
        .executeTakeFirstOrThrow()
      const key = parseSecretKey(readFileSync(join(dataDir, 'tandem-secret.key'), 'utf8'))
      assert.equal(
        new SecretBox(key).open(partner.webhook_secret_enc, webhookSecretContext('marquee')),
        webhookSecret,
      )
      assert.deepEqual(partner.redirect_uris, [
        'http://localhost:4000/auth/tandem/callback',
        'https://marquee.example/auth/tandem/callback',
      ])
      assert.equal(partner.jwks?.keys[0]?.kid, 'report-2026')
      const agreements = await db
        .selectFrom('agreements')
        .selectAll()
        .where('client_id', '=', 'marquee')
        .execute()
      assert.deepEqual(
        agreements.map((a) => a.obligations),
        [{ reportEveryDays: 14 }, { reportEveryDays: 14 }],
      )
      assert.ok(agreements.every((a) => a.created_by === null))
      const deliveries = await db
        .selectFrom('webhook_deliveries')
        .select(['event_type', 'status'])
        .where('client_id', '=', 'marquee')
        .orderBy('created_at')
        .execute()
      assert.deepEqual(
        deliveries.map((d) => d.event_type).sort(),
        ['agreement.created', 'agreement.created', 'agreement.ended'],
        'the partner hears of agreement changes made from the CLI too',
      )
    })
  })
})
