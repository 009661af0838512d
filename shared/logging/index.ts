/**
 * The one logger. Secrets are redacted by key name and by value at any depth
 * (./redact.ts), in every field, array, error and in the message itself, so
 * passing a config, a request or an error to a log line is safe. The values
 * of configured secrets are hidden wherever they appear (./secrets.ts).
 *
 * Wired through pino's own extension points: formatters.log (the merged log
 * object), formatters.bindings (the base bindings), the msg serializer (the
 * final message, after interpolation, including one pino takes from an
 * Error) and the err serializer (an Error logged on its own). pino applies
 * formatters.bindings to the root only, so child() redacts its bindings.
 */
import { pino, type Bindings, type ChildLoggerOptions, type Logger, type LoggerOptions } from 'pino';
import { redactString, redactValue } from './redact.js';
import { registerSecrets, secretMatcher, secretsFromEnv } from './secrets.js';

export type { Logger };
export { CENSOR, MIN_SECRET_LENGTH, isSecretKey, redactString, redactValue } from './redact.js';
export { registerSecrets, secretCount, secretsFromEnv, secretsOf } from './secrets.js';

function redactObject<T>(o: T): T {
  return redactValue(o, secretMatcher()) as T;
}

export function createLogger(name: string, options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  // Secrets given by environment are known before the first line; the config and keyring add theirs when loaded.
  registerSecrets(secretsFromEnv(process.env));
  const opts: LoggerOptions = {
    name,
    level: options.level ?? process.env.WARDEN_LOG_LEVEL ?? 'info',
    formatters: { log: redactObject, bindings: redactObject },
    serializers: {
      msg: (m: unknown) => (typeof m === 'string' ? redactString(m, secretMatcher()) : redactObject(m)),
      // formatters.log has already turned an Error into its redacted serialized form; this catches any other path.
      err: (e: unknown) => (e instanceof Error ? redactObject(e) : e),
    },
    base: { service: name },
  };
  return redactingChildren(options.destination ? pino(opts, options.destination as never) : pino(opts));
}

type ChildFn = (this: Logger, bindings: Bindings, options?: ChildLoggerOptions) => Logger;

/**
 * Each child (and its children) redacts its bindings. A child inherits its parent's properties, so
 * each gets its own wrapper around pino's child(), called on itself.
 */
function redactingChildren(logger: Logger, pinoChild: ChildFn = logger.child as unknown as ChildFn): Logger {
  const child = (bindings: Bindings, childOptions?: ChildLoggerOptions): Logger => redactingChildren(pinoChild.call(logger, redactObject(bindings), childOptions), pinoChild);
  logger.child = child as unknown as Logger['child'];
  return logger;
}
