/**
 * The one logger. Secrets are redacted by key wherever they appear in a log
 * object, so passing a config or a request object to a log line is safe.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export const REDACTED_KEYS = ['password', 'secret', 'secrets', 'token', 'tokens', 'authorization', 'apiKey', 'key', 'keys', 'sasl', 'signature'];

export function createLogger(name: string, options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const opts: LoggerOptions = {
    name,
    level: options.level ?? process.env.WARDEN_LOG_LEVEL ?? 'info',
    redact: {
      // Top level, one and two levels deep: enough for config objects and request headers.
      paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
      censor: '[redacted]',
    },
    base: { service: name },
  };
  return options.destination ? pino(opts, options.destination as never) : pino(opts);
}
