/**
 * Redaction of log records, by key name and by value, at any depth. Pure: the
 * caller passes the secret matcher (./secrets.ts keeps the process's one).
 *
 * By key: a string or structure under a secret-sounding key (password, token,
 * apiKey, authorization, sasl, ...) is replaced whole; numbers and booleans
 * stay, so `maxTokens: 4096` is still logged.
 * By value, in every string (fields, array items, error messages and stacks,
 * the msg): URL userinfo passwords of any scheme, `Bearer`/`Basic`/`Splunk`
 * credentials, `Authorization: ...` and `password=...` pairs, and the values
 * of the configured secrets.
 */
import { stdSerializers } from 'pino';

export const CENSOR = '[redacted]';
const MAX_DEPTH = 32;

/** Key names whose values are secrets, whatever their case: exact names, or names ending in a secret word. */
const SECRET_KEY = /^(?:key|keys|sasl|signature|authorization|proxy-authorization|cookie|set-cookie|.*(?:password|passwd|passphrase|secret|token|credential|api[-_]?key|private[-_]?key|signing[-_]?key|secret[-_]?key|access[-_]?key)s?)$/i;

// Log lines reuse a small set of key names: remember the answer (bounded, in case keys are data).
const keyVerdicts = new Map<string, boolean>();

export function isSecretKey(key: string): boolean {
  let verdict = keyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = SECRET_KEY.test(key);
    if (keyVerdicts.size >= 10_000) keyVerdicts.clear();
    keyVerdicts.set(key, verdict);
  }
  return verdict;
}

// Case-insensitive forms: a URL's userinfo password (to the last `@` of the authority, as parsers read it),
// `Authorization: <scheme> <credentials>`, `password=...`/`"token":"..."` pairs, and a bearer token.
const BY_VALUE_CI = new RegExp(
  [
    String.raw`\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"'<>]*:)[^\s/?#"'<>]*@`,
    String.raw`\b((?:proxy-)?authorization"?\s*[:=]\s*"?)(?:(?:bearer|basic|splunk|digest|token|apikey|negotiate)\s+)?[^\s",;]+`,
    String.raw`\b((?:password|passwd|passphrase|secret|token|api[-_]?key|access[-_]?key)"?\s*[:=]\s*"?)[^\s",;&}]+`,
    String.raw`\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*`,
  ].join('|'),
  'gi',
);
// Case-sensitive, so prose ("basic checks", "the splunk sink") is left alone: `Basic <base64>`, `Splunk <token with a digit>`.
const BY_VALUE_CS = /\b(Basic\s+)[A-Za-z0-9+/]{8,}={0,2}|\b(Splunk\s+)(?=[A-Za-z-]*\d)[A-Za-z0-9-]{8,}/g;

const SCHEME_HINT = /bearer|basic|splunk/i;
/** Shorter values would be redacted inside ordinary words; such a secret is too weak to protect anyway. */
export const MIN_SECRET_LENGTH = 4;

// Each keeps the text before the secret (the URL up to the userinfo colon, `Authorization: `, `Bearer `...).
function censorCi(_match: string, url?: string, authorization?: string, pair?: string, bearer?: string): string {
  return url !== undefined ? `${url}${CENSOR}@` : `${authorization ?? pair ?? bearer ?? ''}${CENSOR}`;
}

function censorCs(_match: string, basic?: string, splunk?: string): string {
  return `${basic ?? splunk ?? ''}${CENSOR}`;
}

/** Redacts one string by value. `secrets` matches the configured secrets' values (null when there are none). */
export function redactString(s: string, secrets: RegExp | null): string {
  let out = s;
  // Every pattern needs a ':' or '=' (URL, pairs) or a space after a scheme word (Bearer, Basic, Splunk):
  // ids, topic names and plain messages skip the scans, which is most strings on the hot path.
  if (s.includes(':') || s.includes('=') || (s.includes(' ') && SCHEME_HINT.test(s))) out = out.replace(BY_VALUE_CI, censorCi).replace(BY_VALUE_CS, censorCs);
  if (secrets && s.length >= MIN_SECRET_LENGTH) {
    secrets.lastIndex = 0; // test() on a global regex starts where the last match ended
    if (secrets.test(out)) out = out.replace(secrets, CENSOR); // test() first: a miss is cheaper than replace()
  }
  return out;
}

/**
 * A copy of `value` with secrets redacted, sharing every part that had none
 * (the common case allocates nothing). Errors become pino's serialized form
 * so their message, stack and properties are redacted too; objects with
 * toJSON are redacted as what they serialise to; a cycle becomes
 * '[Circular]' and anything deeper than MAX_DEPTH '[Truncated]'.
 */
export function redactValue(value: unknown, secrets: RegExp | null): unknown {
  return walk(value, secrets, []);
}

function walk(value: unknown, secrets: RegExp | null, stack: object[]): unknown {
  if (typeof value === 'string') return redactString(value, secrets);
  if (typeof value !== 'object' || value === null) return value;
  if (stack.includes(value)) return '[Circular]';
  if (stack.length >= MAX_DEPTH) return '[Truncated]';
  let v: object = value;
  if (v instanceof Error) v = stdSerializers.err(v) as object;
  else if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    const json: unknown = (v as { toJSON: () => unknown }).toJSON();
    if (typeof json !== 'object' || json === null) return walk(json, secrets, stack);
    v = json;
  }
  if (v instanceof Map || v instanceof Set || ArrayBuffer.isView(v)) return v; // serialise without strings or as numbers
  stack.push(value);
  try {
    return Array.isArray(v) ? walkArray(v, secrets, stack) : walkObject(v as Record<string, unknown>, secrets, stack, v !== value);
  } finally {
    stack.pop();
  }
}

function walkArray(a: unknown[], secrets: RegExp | null, stack: object[]): unknown[] {
  let copy: unknown[] | null = null;
  for (let i = 0; i < a.length; i++) {
    const r = walk(a[i], secrets, stack);
    if (r !== a[i]) (copy ??= a.slice())[i] = r;
  }
  return copy ?? a;
}

function walkObject(o: Record<string, unknown>, secrets: RegExp | null, stack: object[], fresh: boolean): Record<string, unknown> {
  let copy: Record<string, unknown> | null = fresh ? {} : null;
  const keys = Object.keys(o);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const before = o[k];
    const after = isSecretKey(k) && (typeof before === 'string' || (typeof before === 'object' && before !== null)) ? CENSOR : walk(before, secrets, stack);
    if (after !== before && copy === null) {
      copy = {};
      for (let j = 0; j < i; j++) copy[keys[j]!] = o[keys[j]!];
    }
    if (copy !== null) copy[k] = after;
  }
  return copy ?? o;
}
