/**
 * Per-agent bearer tokens for the HTTP side (MCP and the state API): a JSON or YAML list
 * [{agentId, token, agentRole?, tenantId?}]. A presented token is compared with every configured one in
 * constant time (SHA-256 of both, then timingSafeEqual), so neither its value nor which entry it is near
 * leaks through timing. Tokens are registered with the logger as secrets.
 */
import { TokenTable } from '../../shared/signing/tokenTable.js';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../shared/errors/index.js';
import { agentIdProblem } from '../../shared/identity/index.js';
import { registerSecrets } from '../../shared/logging/secrets.js';
import type { AgentSpec } from './agents.js';

const MIN_TOKEN_CHARS = 24;

const tokensSchema = z.array(
  z.object({
    agentId: z.string().min(1),
    token: z.string().min(MIN_TOKEN_CHARS, `must be at least ${MIN_TOKEN_CHARS} characters`),
    agentRole: z.string().min(1).default('mcp'),
    tenantId: z.string().min(1).default('default'),
  }).strict(),
).min(1);

export class AgentTokens {
  readonly #tokens: TokenTable<AgentSpec>;

  constructor(list: unknown, source: string) {
    const parsed = tokensSchema.safeParse(list);
    // Issues name the path, never the value: a bad entry may hold a real token.
    if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${source}: ${i.path.join('.')}: ${i.message}`));
    registerSecrets(parsed.data.map((e) => e.token));
    const issues = parsed.data.map((e, i) => (agentIdProblem(e.agentId) ? `${source}: ${i}.agentId: ${agentIdProblem(e.agentId)}` : null)).filter((x): x is string => x !== null);
    this.#tokens = new TokenTable(parsed.data.map((e) => ({ token: e.token, value: { agentId: e.agentId, agentRole: e.agentRole, tenantId: e.tenantId } })));
    // One token, two agents: whoever holds it could be either, so it names neither.
    for (const i of this.#tokens.duplicates) issues.push(`${source}: ${i}.token: the same token is given to two entries`);
    if (issues.length > 0) throw new ConfigError(issues);
  }

  static fromFile(file: string): AgentTokens {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch {
      throw new ConfigError([`${file}: not valid JSON or YAML`]);
    }
    return new AgentTokens(doc, file);
  }

  agents(): AgentSpec[] {
    return [...new Map(this.#tokens.values().map((spec) => [spec.agentId, spec])).values()];
  }

  /** The agent whose token this is, or null. Every entry is compared, match or not. */
  agentFor(token: string | undefined): AgentSpec | null {
    return this.#tokens.find(token);
  }
}

export { bearerToken } from '../../shared/signing/tokenTable.js';
