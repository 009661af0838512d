/** What every subcommand shares: config loading from --config, and one-line errors. */
import { loadConfig, type WardenConfig } from '../../shared/config/index.js';
import { WardenError } from '../../shared/errors/index.js';

export interface GlobalOptions { config?: string; verbose?: boolean }

export function configFrom(opts: GlobalOptions): WardenConfig {
  return loadConfig(opts.config ? { file: opts.config } : {});
}

/** Progress lines go to stderr so stdout stays machine-readable. */
export const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** One clear line and a non-zero exit; the stack trace only with --verbose. */
export function fail(err: unknown, verbose: boolean): never {
  const e = err as Error;
  const code = err instanceof WardenError ? ` [${err.reason}]` : '';
  process.stderr.write(`warden: ${e?.message ?? String(err)}${code}\n`);
  if (verbose && e?.stack) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
}
