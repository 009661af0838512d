/**
 * Bearer tokens for the responder API, with roles. Tokens are compared in
 * constant time over their SHA-256 digests (equal lengths, so neither the
 * content nor the length leaks through timing). Tokens never appear in an
 * error or a log: callers get the token's name, not the token.
 */
import { ConfigError } from '../errors/index.js';
import { bearerToken, TokenTable } from '../signing/tokenTable.js';

export type Role = 'viewer' | 'responder';

const ROLE_RANK: Record<Role, number> = { viewer: 0, responder: 1 };

export interface TokenEntry { name: string; role: Role; token: string }

export class TokenAuth {
  readonly #tokens: TokenTable<{ name: string; role: Role }>;

  constructor(entries: TokenEntry[]) {
    const issues: string[] = [];
    entries.forEach((e, i) => {
      if (!e || typeof e.name !== 'string' || !e.name) issues.push(`tokens[${i}].name: required`);
      if (!e || !(e.role in ROLE_RANK)) issues.push(`tokens[${i}].role: must be viewer or responder`);
      if (!e || typeof e.token !== 'string' || e.token.length < 16) issues.push(`tokens[${i}].token: must be at least 16 characters`);
    });
    if (issues.length > 0) throw new ConfigError(issues);
    this.#tokens = new TokenTable(entries.map((e) => ({ token: e.token, value: { name: e.name, role: e.role } })));
  }

  /** From WARDEN_API_TOKENS: a JSON array of {name, role, token}. */
  static fromEnv(env: Record<string, string | undefined> = process.env): TokenAuth {
    const raw = env.WARDEN_API_TOKENS;
    if (!raw) throw new ConfigError(['WARDEN_API_TOKENS is not set: a JSON array of {"name", "role": "viewer"|"responder", "token"}']);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ConfigError(['WARDEN_API_TOKENS is not valid JSON']);
    }
    if (!Array.isArray(parsed)) throw new ConfigError(['WARDEN_API_TOKENS must be a JSON array']);
    return new TokenAuth(parsed as TokenEntry[]);
  }

  /** Who presents this Authorization header, or null. Checks every token, always, in constant time each. */
  identify(authorization: string | undefined): { name: string; role: Role } | null {
    return this.#tokens.find(bearerToken(authorization));
  }

  static allows(have: Role, need: Role): boolean {
    return ROLE_RANK[have] >= ROLE_RANK[need];
  }
}
