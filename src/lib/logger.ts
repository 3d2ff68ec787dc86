import pino, { type Logger } from 'pino'

/** JSON logs to stdout; secrets that could ride on requests are redacted. */
export function createLogger(name: string, level: string): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'req.headers.cookie',
        'req.headers.authorization',
        'req.headers.dpop',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
  })
}
