import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

const VERSION = 'v1'

/**
 * Authenticated encryption (AES-256-GCM) for secrets kept in the database: webhook keys,
 * signing keys, refresh tokens. The output is `v1.<iv>.<tag>.<ciphertext>` in base64url;
 * `context` is bound as associated data, so a value cannot be moved to another row or purpose.
 */
export class SecretBox {
  #key: Buffer

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes')
    this.#key = key
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(context))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return [VERSION, iv, cipher.getAuthTag(), body]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.')
  }

  open(sealed: string, context: string): string {
    const [version, iv, tag, body] = sealed.split('.')
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed value')
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'))
    decipher.setAAD(Buffer.from(context))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
  }
}

/** Parses a 32-byte key given as base64 or base64url (44 or 43 characters). */
export function parseSecretKey(text: string, name = 'TANDEM_SECRET_KEY'): Buffer {
  const key = Buffer.from(text.trim(), 'base64url')
  if (key.length !== 32) throw new Error(`${name} must be 32 random bytes in base64`)
  return key
}

/**
 * The key from its environment variable; in development one is made once and kept in `file`
 * (beside the embedded database), production must provide one.
 */
export function resolveSecretKey(given: string | undefined, env: string, file: string, name: string): Buffer {
  if (given) return parseSecretKey(given, name)
  if (env === 'production') throw new Error(`invalid configuration:\n  ${name}: required in production`)
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true })
    try {
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' })
    } catch (error) {
      // Another process made it first: use theirs.
      if ((error as { code?: string }).code !== 'EEXIST') throw error
    }
  }
  return parseSecretKey(readFileSync(file, 'utf8'), name)
}
