/**
 * Loads the configuration: defaults < local stack endpoints (.warden/stack.json,
 * written by `warden stack up`) < YAML file (WARDEN_CONFIG or --config) <
 * environment. Every problem is reported with the key and where its value
 * came from, all at once, as a ConfigError.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors/index.js';
import { registerSecrets, secretsOf } from '../logging/secrets.js';
import { configSchema, ENV_OVERRIDES, type WardenConfig } from './schema.js';

export interface LoadConfigOptions {
  /** YAML file; defaults to $WARDEN_CONFIG when set. */
  file?: string;
  /** Environment to read overrides from; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Extra values that win over everything (used by tests and the CLI). */
  overrides?: Record<string, unknown>;
  /** Read .warden/stack.json for local stack endpoints (default true). */
  useStackFile?: boolean;
}

type Plain = Record<string, unknown>;

export function loadConfig(options: LoadConfigOptions = {}): WardenConfig {
  const env = options.env ?? process.env;
  const origin = new Map<string, string>();
  let merged: Plain = {};

  const stackDir = env.WARDEN_STACK_DIR ?? '.warden';
  const stackFile = join(stackDir, 'stack.json');
  if (options.useStackFile !== false && existsSync(stackFile)) {
    const endpoints = readStackEndpoints(stackFile);
    merged = deepMerge(merged, endpoints);
    markOrigin(origin, endpoints, stackFile);
  }

  const file = options.file ?? env.WARDEN_CONFIG;
  if (file) {
    const fromFile = readYamlFile(file);
    merged = deepMerge(merged, fromFile);
    markOrigin(origin, fromFile, file);
  }

  const issues: string[] = [];
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = parseEnvValue(path, raw);
    if (NUMERIC_PATH.test(path) && typeof value !== 'number') {
      issues.push(`${name}: expected a number for ${path}, got ${JSON.stringify(raw)}`);
      continue;
    }
    merged = setPath(merged, path, value);
    // The variable replaces the whole value, so it is also where any part of it came from.
    for (const k of [...origin.keys()]) if (k.startsWith(`${path}.`)) origin.delete(k);
    origin.set(path, name);
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('WARDEN_') && !(name in ENV_OVERRIDES) && !KNOWN_OTHER_ENV.has(name)) {
      const near = closestName(name, [...Object.keys(ENV_OVERRIDES), ...KNOWN_OTHER_ENV]);
      issues.push(`${name}: unknown environment variable${near ? `; did you mean ${near}?` : ' (known: see README "Configuration")'}`);
    }
  }
  if (options.overrides) merged = deepMerge(merged, options.overrides);

  const result = configSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join('.');
      // The most specific source: the key itself, else its longest marked parent (a variable that set the whole list).
      const from = origin.get(key) ?? [...origin.entries()].filter(([k]) => key.startsWith(`${k}.`)).sort(([a], [b]) => b.length - a.length)[0]?.[1];
      // A number from a variable is shown with its value (numbers are never secrets); a float where an integer belongs says so.
      const message = issue.code === 'invalid_type' && issue.expected === 'integer' ? 'must be a whole number' : issue.message;
      const shown = from && from in ENV_OVERRIDES && NUMERIC_PATH.test(key) ? `${from}=${env[from]}` : from;
      issues.push(`${key || '(root)'}: ${message}${shown ? ` (from ${shown})` : ''}`);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  // From now on every logger hides these values wherever they appear (passwords, tokens, URL userinfo).
  registerSecrets(secretsOf(result.data));
  return result.data as WardenConfig;
}

/** Env names read elsewhere (not config keys), so they are not reported as unknown. */
const KNOWN_OTHER_ENV = new Set(['WARDEN_CONFIG', 'WARDEN_KEYRING', 'WARDEN_KEYRING_FILE', 'WARDEN_COMMAND_SIGNING_KEYS', 'WARDEN_VERBOSE', 'WARDEN_TEST_STACK', 'WARDEN_TEST_RUN_ID', 'WARDEN_API_TOKENS', 'WARDEN_METRICS_PORT', 'WARDEN_RULES', 'WARDEN_POLICY', 'WARDEN_KEEP_STACK', 'WARDEN_DETECTOR_GROUP', 'WARDEN_RESPONDER_GROUP', 'WARDEN_SIEM_FORWARDER_GROUP', 'WARDEN_API_PORT', 'WARDEN_API_URL', 'WARDEN_API_TOKEN', 'WARDEN_DETECTOR_NAME_HASH_SECRET']);

function readYamlFile(file: string): Plain {
  if (!existsSync(file)) throw new ConfigError([`config file ${file} does not exist`]);
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`config file ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError([`config file ${file} must hold a mapping at the top level`]);
  return parsed as Plain;
}

function readStackEndpoints(file: string): Plain {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as { kafkaBrokers?: string[]; registryUrl?: string; redisUrl?: string };
    const out: Plain = {};
    if (s.kafkaBrokers) out.kafka = { brokers: s.kafkaBrokers };
    if (s.registryUrl) out.registry = { url: s.registryUrl };
    if (s.redisUrl) out.redis = { url: s.redisUrl };
    return out;
  } catch {
    return {}; // a half-written stack file only loses the hint; defaults still apply
  }
}

/** Config paths whose variables hold numbers (ports, durations, counts). */
const NUMERIC_PATH = /(Port|\.port|Ms|Bytes|InFlight|Attempts|Workers)$/;

function parseEnvValue(path: string, raw: string): unknown {
  if (path === 'kafka.brokers' || path === 'redis.cluster.nodes' || path.endsWith('Versions')) return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  // Any decimal number, so the schema can say what is wrong with it (negative, a fraction) instead of "received string".
  if (NUMERIC_PATH.test(path) && /^[+-]?\d+(\.\d+)?$/.test(raw.trim())) return Number(raw);
  return raw;
}

function setPath(obj: Plain, path: string, value: unknown): Plain {
  const [head, ...rest] = path.split('.');
  if (head === undefined) return obj;
  const child = (obj[head] && typeof obj[head] === 'object' ? obj[head] : {}) as Plain;
  return { ...obj, [head]: rest.length === 0 ? value : setPath(child, rest.join('.'), value) };
}

function deepMerge(a: Plain, b: Plain): Plain {
  const out: Plain = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlain(prev) && isPlain(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function markOrigin(origin: Map<string, string>, obj: Plain, source: string, prefix = ''): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    origin.set(key, source);
    if (isPlain(v)) markOrigin(origin, v, source, key);
  }
}

/** The known name nearest to a mistyped one (Levenshtein distance at most 3), or undefined. */
function closestName(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}
