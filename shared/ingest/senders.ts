/**
 * Who may send spans, and for which agents. Spans are claims by whoever sends them, so each OTLP/HTTP
 * request carries a bearer token; each token names a sender (an agent, or a shared Collector) and the
 * agent ids it may speak for: exact ids or patterns with `*`. Tokens are kept only as SHA-256 digests
 * and compared in constant time (timingSafeEqual over digests of equal length, every sender checked, no
 * early exit). Never logged: their values are registered with the logger's redaction.
 */
import { bearerToken, TokenTable } from '../signing/tokenTable.js';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { registerSecrets } from '../logging/secrets.js';

const MIN_TOKEN_CHARS = 24;

const sendersSchema = z.array(
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/, 'letters, digits and . _ : @ / - (a name for logs and metrics)'),
      token: z.string().min(MIN_TOKEN_CHARS, `must be at least ${MIN_TOKEN_CHARS} characters`),
      agents: z.array(z.string().min(1).max(128)).min(1, 'list the agent ids (or patterns with *) this sender may speak for'),
    })
    .strict(),
);

export type SenderSpec = z.infer<typeof sendersSchema>[number];

export interface Sender {
  name: string;
  /** Whether this sender may send spans that claim `agentId`. */
  mayClaim(agentId: string): boolean;
}

/** Agent ids or globs (`*` = any run of characters; `*` alone = any agent). */
export function agentMatcher(patterns: readonly string[]): (agentId: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const globs = patterns.filter((p) => p.includes('*')).map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`));
  return (agentId) => exact.has(agentId) || globs.some((g) => g.test(agentId));
}


export class Senders {
  readonly #senders: TokenTable<Sender>;

  constructor(specs: unknown, source = 'otel-ingest senders') {
    const parsed = sendersSchema.safeParse(specs);
    if (!parsed.success) {
      // Never quote a value: it may be a token.
      throw new ConfigError(parsed.error.issues.map((i) => `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`));
    }
    registerSecrets(parsed.data.map((s) => s.token));
    this.#senders = new TokenTable(parsed.data.map((sp) => ({ token: sp.token, value: { name: sp.name, mayClaim: agentMatcher(sp.agents) } })));
    const issues = this.#senders.duplicates.map((i) => `${source}: ${i}.token: the same token is given to two senders`);
    if (issues.length > 0) throw new ConfigError(issues);
  }

  /** A JSON or YAML file holding the list. */
  static load(file: string): Senders {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8')); // YAML is a superset of JSON
    } catch (err) {
      throw new ConfigError([`otel-ingest senders file ${file}: cannot be read as JSON or YAML (${(err as NodeJS.ErrnoException).code ?? 'parse error'})`]);
    }
    return new Senders(doc, file);
  }

  get size(): number {
    return this.#senders.size;
  }

  /** The sender an `Authorization: Bearer <token>` header names, or null (missing, malformed, unknown). */
  authenticate(authorization: string | undefined): Sender | null {
    return this.#senders.find(bearerToken(authorization));
  }
}
