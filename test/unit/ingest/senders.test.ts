import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors/index.js';
import { agentMatcher, Senders } from '../../../shared/ingest/senders.js';

const A = 'token-aaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'token-bbbbbbbbbbbbbbbbbbbbbbbbbbbb';

describe('OTLP senders', () => {
  const senders = new Senders([
    { name: 'bot-1', token: A, agents: ['support-bot-1'] },
    { name: 'collector', token: B, agents: ['fin-*', 'ops-agent'] },
  ]);

  it('authenticates a bearer token to its sender, and nothing else', () => {
    expect(senders.authenticate(`Bearer ${A}`)?.name).toBe('bot-1');
    expect(senders.authenticate(`bearer ${B}`)?.name).toBe('collector');
    expect(senders.authenticate(undefined)).toBeNull();
    expect(senders.authenticate('')).toBeNull();
    expect(senders.authenticate('Bearer ')).toBeNull();
    expect(senders.authenticate(A)).toBeNull();
    expect(senders.authenticate(`Basic ${A}`)).toBeNull();
    expect(senders.authenticate(`Bearer ${A}x`)).toBeNull();
    expect(senders.authenticate(`Bearer ${A.slice(0, -1)}`)).toBeNull();
    expect(senders.authenticate(`Bearer ${A} ${B}`)).toBeNull();
  });

  it('says which agents a sender may speak for', () => {
    const bot = senders.authenticate(`Bearer ${A}`)!;
    expect(bot.mayClaim('support-bot-1')).toBe(true);
    expect(bot.mayClaim('support-bot-10')).toBe(false);
    expect(bot.mayClaim('support-bot-')).toBe(false);
    const collector = senders.authenticate(`Bearer ${B}`)!;
    expect(collector.mayClaim('fin-payments-1')).toBe(true);
    expect(collector.mayClaim('ops-agent')).toBe(true);
    expect(collector.mayClaim('xfin-1')).toBe(false);
    expect(collector.mayClaim('support-bot-1')).toBe(false);
    expect(agentMatcher(['*'])('anything')).toBe(true);
    expect(agentMatcher(['a.b'])('aXb')).toBe(false); // a dot is a dot
  });

  it('refuses short or shared tokens without quoting them', () => {
    const short = () => new Senders([{ name: 'x', token: 'short-secret-1', agents: ['a'] }]);
    expect(short).toThrow(ConfigError);
    expect(short).not.toThrow(/short-secret-1/);
    expect(() => new Senders([{ name: 'x', token: A, agents: ['a'] }, { name: 'y', token: A, agents: ['b'] }])).toThrow(/the same token is given to two senders/);
    expect(() => new Senders([{ name: 'x', token: A, agents: [] }])).toThrow(/list the agent ids/);
    expect(() => new Senders({ name: 'x' })).toThrow(ConfigError);
  });

  it('never shows a token when printed', () => {
    expect(JSON.stringify(senders)).not.toContain(A);
    expect(String(senders.authenticate(`Bearer ${A}`)?.name)).not.toContain(A);
  });
});
