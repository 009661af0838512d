/**
 * The secure stack's generated secrets: one SCRAM password per Kafka
 * principal, one password per Redis ACL user, the keystore password, the
 * detector's name-hash secret (WARDEN_DETECTOR_NAME_HASH_SECRET). Kept in
 * `credentials.json` (mode 0600) and in one env file per principal (0600);
 * never printed, never logged.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { StackError } from '../../shared/errors/index.js';

/** Kafka principals (SCRAM users). `admin` is the bootstrap super user: topics and ACLs only, never a service. */
export const KAFKA_PRINCIPALS = ['admin', 'agent', 'detector', 'responder', 'siem-forwarder', 'operator', 'otel-ingest', 'mcp-gateway'] as const;
export type KafkaPrincipal = (typeof KAFKA_PRINCIPALS)[number];

/** Redis ACL users (the default user is off). */
export const REDIS_USERS = ['detector', 'responder', 'siem-forwarder', 'operator'] as const;
export type RedisUser = (typeof REDIS_USERS)[number];

export function isRedisUser(p: string): p is RedisUser {
  return (REDIS_USERS as readonly string[]).includes(p);
}

export interface Credentials {
  kafka: Record<KafkaPrincipal, string>;
  redis: Record<RedisUser, string>;
  keystorePassword: string;
  /** The detector's WARDEN_DETECTOR_NAME_HASH_SECRET (seeds the hashes agents' remembered names are kept as). */
  detectorNameHashSecret: string;
}

const secret = () => randomBytes(24).toString('base64url');

/** Writes a file only its owner can read (also when it already existed with a wider mode). */
export function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Everything the servers were started with (their passwords): complete without the detector's secret, which only services read. */
function serversComplete(c: Partial<Credentials>): boolean {
  return KAFKA_PRINCIPALS.every((p) => typeof c.kafka?.[p] === 'string') && REDIS_USERS.every((u) => typeof c.redis?.[u] === 'string') && typeof c.keystorePassword === 'string';
}

function complete(c: Partial<Credentials>): c is Credentials {
  return serversComplete(c) && typeof c.detectorNameHashSecret === 'string';
}

/** The stored credentials, or new ones (`created`) when there are none or a principal is missing. */
export function loadOrCreateCredentials(file: string): { credentials: Credentials; created: boolean } {
  if (existsSync(file)) {
    let parsed: Partial<Credentials>;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Credentials>;
    } catch {
      throw new StackError('stack.timeout', `${file} is not valid JSON: remove it (and the secure stack's data) with \`warden stack down --secure --purge\``);
    }
    if (complete(parsed)) return { credentials: parsed, created: false };
    // Written before the detector's secret existed: add it, keeping the passwords the servers run with.
    if (serversComplete(parsed)) {
      const filled = { ...parsed, detectorNameHashSecret: secret() } as Credentials;
      writePrivate(file, `${JSON.stringify(filled, null, 2)}\n`);
      return { credentials: filled, created: false };
    }
  }
  const credentials: Credentials = {
    kafka: Object.fromEntries(KAFKA_PRINCIPALS.map((p) => [p, secret()])) as Record<KafkaPrincipal, string>,
    redis: Object.fromEntries(REDIS_USERS.map((u) => [u, secret()])) as Record<RedisUser, string>,
    keystorePassword: secret(),
    detectorNameHashSecret: secret(),
  };
  writePrivate(file, `${JSON.stringify(credentials, null, 2)}\n`);
  return { credentials, created: true };
}

export function readCredentials(file: string): Credentials {
  if (!existsSync(file)) throw new StackError('stack.timeout', `no ${file}: start the secure stack first (\`warden stack up --secure\`)`);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Credentials>;
  if (!complete(parsed)) throw new StackError('stack.timeout', `${file} is incomplete: run \`warden stack down --secure --purge\`, then \`up --secure\``);
  return parsed;
}
