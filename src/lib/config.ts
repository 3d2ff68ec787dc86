import { type ZodObject, type ZodRawShape, z } from 'zod'

/** Parses the environment once, reporting every bad variable together, and freezes the result. */
export function parseEnv<S extends ZodRawShape>(
  shape: ZodObject<S>,
  env: Record<string, string | undefined>,
): Readonly<z.output<ZodObject<S>>> {
  // An empty variable means unset, as shells and container tools often leave them.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''))
  const result = shape.safeParse(given)
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid configuration:\n${lines.join('\n')}`)
  }
  return Object.freeze(result.data)
}

export const envBoolean = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes')

export const runtimeEnv = z.enum(['development', 'test', 'production'])
export type RuntimeEnv = z.infer<typeof runtimeEnv>

/** What every server here reads alike: the runtime, where embedded databases live, the log level. */
export const sharedEnv = {
  NODE_ENV: runtimeEnv.default('development'),
  DATA_DIR: z.string().default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}

export const envPort = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback)
