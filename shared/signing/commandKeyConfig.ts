/**
 * Where command keys come from (README "Configuration"):
 *
 *   verifiers (SDK, gateway)  commandSigning.publicKeysFile | commandSigning.publicKeys
 *   signer (responder)        commandSigning.signingKeysFile | WARDEN_COMMAND_SIGNING_KEYS (env only)
 *
 * A verifier with no public keys but with signing keys (the demo: one process)
 * derives them. With no key configured at all, both sides use one dev keypair
 * in `<stack.dir>/command-signing-keys.json`, generated once (mode 0600) and
 * announced in a log line. Once any key is configured nothing is generated:
 * a responder given only public keys refuses to start.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WardenConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { registerSecrets, secretsOf } from '../logging/secrets.js';
import { CommandKeyset, CommandSigner } from './commandKeys.js';

export const DEV_COMMAND_KEYS_FILE = 'command-signing-keys.json';
const SIGNING_KEYS_ENV = 'WARDEN_COMMAND_SIGNING_KEYS';

type Env = Record<string, string | undefined>;

export function loadCommandKeyset(config: WardenConfig, logger: Logger, env: Env = process.env): CommandKeyset {
  const { publicKeysFile, publicKeys } = config.commandSigning;
  if (publicKeysFile && publicKeys) throw new ConfigError(['commandSigning: set publicKeysFile or publicKeys, not both']);
  if (publicKeysFile) return CommandKeyset.fromJwks(readJson(publicKeysFile, 'public'), publicKeysFile);
  if (publicKeys) return CommandKeyset.fromJwks(parseJson(publicKeys, 'commandSigning.publicKeys', 'public'), 'commandSigning.publicKeys');
  return (explicitSigner(config, logger, env) ?? devSigner(config, logger)).keyset();
}

export function loadCommandSigner(config: WardenConfig, logger: Logger, env: Env = process.env): CommandSigner {
  const explicit = explicitSigner(config, logger, env);
  if (explicit) return explicit;
  if (config.commandSigning.publicKeysFile || config.commandSigning.publicKeys) {
    // Keys are configured, so this is not a dev setup: a generated key would sign commands no SDK accepts.
    throw new ConfigError([`commandSigning: public keys are configured but no signing key: set commandSigning.signingKeysFile (WARDEN_COMMAND_SIGNING_KEYS_FILE) or ${SIGNING_KEYS_ENV}`]);
  }
  return devSigner(config, logger);
}

function explicitSigner(config: WardenConfig, logger: Logger, env: Env): CommandSigner | undefined {
  const file = config.commandSigning.signingKeysFile;
  const inline = env[SIGNING_KEYS_ENV];
  if (file && inline) throw new ConfigError([`commandSigning: set signingKeysFile or ${SIGNING_KEYS_ENV}, not both`]);
  if (inline) return CommandSigner.fromJwks(parseJson(inline, SIGNING_KEYS_ENV, 'private'), SIGNING_KEYS_ENV);
  if (!file) return undefined;
  const signer = CommandSigner.fromJwks(readJson(file, 'private'), file);
  if ((statSync(file).mode & 0o077) !== 0) logger.warn({ file }, 'command signing key file is readable by group or others: chmod 600 it');
  return signer;
}

const devSigners = new Map<string, CommandSigner>();

/** The dev keypair: one per stack dir, shared by every process on the machine, announced once per process. */
function devSigner(config: WardenConfig, logger: Logger): CommandSigner {
  if (!config.commandSigning.devKeys) {
    throw new ConfigError(['commandSigning: no command keys configured and devKeys is false: set commandSigning.publicKeysFile (WARDEN_COMMAND_PUBLIC_KEYS_FILE) for SDKs and gateways, and commandSigning.signingKeysFile (WARDEN_COMMAND_SIGNING_KEYS_FILE) for the responder']);
  }
  const file = join(config.stack.dir, DEV_COMMAND_KEYS_FILE);
  const cached = devSigners.get(file);
  if (cached) return cached;
  let generated = false;
  if (!existsSync(file)) {
    mkdirSync(config.stack.dir, { recursive: true });
    const fresh = CommandSigner.generate(`dev-${new Date().toISOString().slice(0, 10)}`, 'fleet');
    // Written whole to a temporary file, then linked into place: link() fails if another process got
    // there first, so every process ends up reading one complete file and the same key.
    const tmp = `${file}.${randomUUID()}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(fresh.exportPrivateJwks(), null, 2)}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, file);
      generated = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
  }
  const signer = CommandSigner.fromJwks(readJson(file, 'private'), file);
  devSigners.set(file, signer);
  logger.warn(
    { file, kids: signer.kids(), generated },
    'no command signing keys configured: isolation commands are signed and verified with the dev keypair (local stack, demo and tests only; set commandSigning.* in production)',
  );
  return signer;
}

function readJson(file: string, kind: 'public' | 'private'): unknown {
  if (!existsSync(file)) throw new ConfigError([`command key file ${file} does not exist`]);
  return parseJson(readFileSync(file, 'utf8'), file, kind);
}

function parseJson(text: string, source: string, kind: 'public' | 'private'): unknown {
  try {
    const parsed: unknown = JSON.parse(text);
    // Private keys (the JWK `d`) must never be printed, whatever logs them later.
    // Each JWK on its own: only its private members (d) are secrets, not kid, kty or x.
    const keys = (parsed as { keys?: unknown } | null)?.keys;
    if (kind === 'private' && Array.isArray(keys)) for (const key of keys) registerSecrets(secretsOf(key));
    return parsed;
  } catch (err) {
    // The parser's message may quote the text: fine for public keys, never for private ones.
    throw new ConfigError([`${source} is not valid JSON${kind === 'public' ? ` (${(err as Error).message.split('\n')[0]})` : ''}`]);
  }
}
