/**
 * The secret values this process knows, so the logger can redact them
 * wherever they appear as substrings, under any key. One process-wide set,
 * because secrets arrive after loggers exist (the config is loaded after the
 * first logger, the keyring later still) and every logger, child or not,
 * must hide them from then on. Filled by loadConfig (every value under a
 * secret-named key, URL passwords), the keyring, and createLogger from the
 * environment (WARDEN_*PASSWORD, *TOKEN(S), *API_KEY, *SECRET, *SIGNING_KEYS,
 * WARDEN_KEYRING). Values only: they are never printed.
 */
import { MIN_SECRET_LENGTH, isSecretKey } from './redact.js';

const known = new Set<string>();
let matcher: RegExp | null = null;
let stale = false; // compiled lazily: a keyring registers its secrets one by one

/** Adds secret values (and the forms they take inside URLs and JSON text). Empty and too short values are ignored. */
export function registerSecrets(values: Iterable<string | null | undefined>): void {
  let added = false;
  for (const v of values) {
    if (typeof v !== 'string' || v.length < MIN_SECRET_LENGTH) continue;
    for (const form of new Set([v, encodeURIComponent(v), JSON.stringify(v).slice(1, -1)])) {
      if (!known.has(form)) {
        known.add(form);
        added = true;
      }
    }
  }
  if (added) stale = true;
}

/** One regex matching every registered secret, or null when there is none (the common case costs nothing). */
export function secretMatcher(): RegExp | null {
  if (stale) {
    // Longest first, so a secret that contains another is hidden whole.
    matcher = new RegExp([...known].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
    stale = false;
  }
  return matcher;
}

/** How many distinct forms are registered (for tests and the bench; never the values). */
export function secretCount(): number {
  return known.size;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// JWK members that are private key material (RFC 7517/7518: EC/OKP d, RSA primes and exponents, oct k).
const JWK_PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/**
 * The secret values inside a structure such as the config: every string under
 * a secret-named key (at any depth, including inside arrays and objects held
 * by that key), the private members of JWKs, and the password of any URL.
 */
export function secretsOf(value: unknown, underSecret = false, seen = new Set<object>()): string[] {
  if (typeof value === 'string') return underSecret ? [value] : urlPasswords(value);
  if (typeof value !== 'object' || value === null || seen.has(value)) return [];
  seen.add(value);
  const out: string[] = [];
  const o = value as Record<string, unknown>;
  const isJwk = typeof o.kty === 'string';
  for (const [k, v] of Object.entries(o)) out.push(...secretsOf(v, underSecret || isSecretKey(k) || (isJwk && JWK_PRIVATE.includes(k)), seen));
  return out;
}

function urlPasswords(s: string): string[] {
  if (!s.includes('://')) return [];
  try {
    const pw = new URL(s).password;
    return pw ? [pw, decodeURIComponent(pw)] : [];
  } catch {
    return [];
  }
}

const SECRET_ENV = /^WARDEN_\w*(?:PASSWORD|PASSPHRASE|SECRET|TOKENS?|API_KEY|PRIVATE_KEY|SIGNING_KEYS?|CREDENTIALS?)$/;

/** The secrets held by WARDEN_* environment variables (JSON ones such as WARDEN_API_TOKENS are looked into). */
export function secretsFromEnv(env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!raw || !name.startsWith('WARDEN_')) continue;
    if (name === 'WARDEN_KEYRING') out.push(...secretsOf(parseJson(raw), true)); // {agentId: {kid: secret}}: every value is a secret
    else if (SECRET_ENV.test(name)) {
      const parsed = parseJson(raw);
      out.push(...(typeof parsed === 'object' && parsed !== null ? secretsOf(parsed) : [raw]));
    } else out.push(...urlPasswords(raw));
  }
  return out;
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
