import { describe, expect, it } from 'vitest';
import { AgentTokens, bearerToken } from '../../../services/mcp-gateway/tokens.js';
import { ConfigError } from '../../../shared/errors/index.js';

const T1 = 'token-one-0123456789abcdefghij';
const T2 = 'token-two-0123456789abcdefghij';

describe('agent tokens', () => {
  const tokens = new AgentTokens([{ agentId: 'a-1', token: T1 }, { agentId: 'b-1', token: T2, agentRole: 'billing', tenantId: 'acme' }], 'test');

  it('maps each token to its agent and nothing else', () => {
    expect(tokens.agentFor(T1)).toEqual({ agentId: 'a-1', agentRole: 'mcp', tenantId: 'default' });
    expect(tokens.agentFor(T2)?.agentId).toBe('b-1');
    for (const wrong of [undefined, '', T1.slice(0, -1), `${T1}x`, T1.toUpperCase(), ' ' + T1]) expect(tokens.agentFor(wrong)).toBeNull();
  });

  it('reads the Bearer header strictly', () => {
    expect(bearerToken(`Bearer ${T1}`)).toBe(T1);
    expect(bearerToken(`bearer ${T1}`)).toBe(T1);
    expect(bearerToken(`Basic ${T1}`)).toBeUndefined();
    expect(bearerToken(`Bearer ${T1} extra`)).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('refuses short tokens, bad agentIds and empty lists, without quoting a token', () => {
    const bad = (list: unknown) => {
      try {
        new AgentTokens(list, 'tokens.json');
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    const short = bad([{ agentId: 'a', token: 'short-secret' }]);
    expect(short).toMatch(/0\.token: must be at least 24/);
    expect(short).not.toContain('short-secret');
    expect(bad([{ agentId: '*', token: T1 }])).toMatch(/reserved/);
    expect(bad([{ agentId: 'attester:mcp-gateway', token: T1 }])).toMatch(/reserved/);
    expect(bad([])).toMatch(/tokens\.json/);
    const dup = bad([{ agentId: 'a-1', token: T1 }, { agentId: 'b-1', token: T1 }]);
    expect(dup).toMatch(/1\.token: the same token is given to two entries/);
    expect(dup).not.toContain(T1);
  });
});
