import { describe, expect, it } from 'vitest';
import { CircuitBreaker, TokenAuth, appendEntry, buildCommand, dueForRelease, expiryRelease, verifyChain, type AuditEntry } from '../../../shared/response/index.js';

describe('circuit breaker', () => {
  it('trips once when more than maxAgents distinct agents are flagged in the window, and closes when it drains', () => {
    const b = new CircuitBreaker(3, 60_000);
    expect(['a', 'b', 'c'].map((a, i) => b.check(a, i).allowed)).toEqual([true, true, true]);
    expect(b.check('a', 10).allowed).toBe(true); // the same agent again is not a new one
    const trip = b.check('d', 20);
    expect(trip).toMatchObject({ allowed: false, justTripped: true, agentsInWindow: 4 });
    expect(b.check('e', 30)).toMatchObject({ allowed: false, justTripped: false });
    b.tick(30 + 60_000);
    expect(b.open).toBe(false);
    expect(b.check('f', 30 + 60_001).allowed).toBe(true);
  });
});

describe('commands', () => {
  it('have deterministic ids from their cause, whatever the alert order', () => {
    const a = buildCommand({ agentId: 'x', type: 'QUARANTINE', reason: 'r', issuedBy: 'policy:p', issuedAt: 1, alertIds: ['b', 'a'], ttlMs: 1000 });
    const b = buildCommand({ agentId: 'x', type: 'QUARANTINE', reason: 'other words', issuedBy: 'policy:p', issuedAt: 99, alertIds: ['a', 'b'], ttlMs: 1000 });
    expect(a.commandId).toBe(b.commandId);
    expect(a.commandId).toMatch(/^[0-9a-f]{32}$/);
    expect(buildCommand({ agentId: 'x', type: 'THROTTLE', reason: 'r', issuedBy: 'p', issuedAt: 1, alertIds: ['a', 'b'] }).commandId).not.toBe(a.commandId);
    expect(a).toMatchObject({ expiresAt: 1001, alertIds: ['a', 'b'], revokedCapabilities: [] });
  });

  it('release what has expired, with a release of their own', () => {
    const q = buildCommand({ agentId: 'x', type: 'QUARANTINE', reason: 'r', issuedBy: 'p', issuedAt: 0, alertIds: ['a'], ttlMs: 100 });
    const t = buildCommand({ agentId: 'y', type: 'THROTTLE', reason: 'r', issuedBy: 'p', issuedAt: 0, alertIds: ['b'], ttlMs: 500, revokedCapabilities: ['payment.*'] });
    expect(dueForRelease([q, t], 99)).toEqual([]);
    expect(dueForRelease([q, t], 100)).toEqual([q]);
    const r = expiryRelease(q, 100);
    expect(r).toMatchObject({ type: 'RELEASE', agentId: 'x', issuedBy: 'ttl-expiry', expiresAt: null });
    expect(expiryRelease(q, 5000).commandId).toBe(r.commandId); // a retried expiry is the same command
  });
});

describe('audit chain', () => {
  const chain = (): AuditEntry[] => {
    const out: AuditEntry[] = [];
    for (let i = 0; i < 5; i++) out.push(appendEntry(out.at(-1) ?? null, { at: i, kind: 'command', actor: 'policy', agentId: `a${i}`, details: { n: i, nested: { z: 1, a: 2 } } }));
    return out;
  };

  it('verifies an intact chain', () => {
    expect(verifyChain(chain())).toEqual({ ok: true, entries: 5, firstBrokenIndex: null, reason: null });
  });

  it('points at a changed entry', () => {
    const c = chain();
    c[2] = { ...c[2]!, actor: 'mallory' };
    expect(verifyChain(c)).toMatchObject({ ok: false, firstBrokenIndex: 2, reason: expect.stringMatching(/changed/) });
  });

  it('points at a removed entry', () => {
    const c = chain();
    c.splice(1, 1);
    expect(verifyChain(c)).toMatchObject({ ok: false, firstBrokenIndex: 1 });
  });

  it('points at reordered entries', () => {
    const c = chain();
    [c[3], c[4]] = [c[4]!, c[3]!];
    expect(verifyChain(c)).toMatchObject({ ok: false, firstBrokenIndex: 3 });
  });

  it('detects a rewritten tail whose hashes were recomputed from a changed entry', () => {
    const c = chain();
    const forged = [...c.slice(0, 2)];
    const { seq: _s, prevHash: _p, hash: _h, ...record } = c[2]!;
    forged.push(appendEntry(forged.at(-1)!, { ...record, actor: 'mallory' }));
    expect(verifyChain(forged).ok).toBe(true); // on its own, the forged prefix is consistent...
    // The forger recomputed entry 2's hash, but entry 3 still points at the original.
    expect(verifyChain([...forged, ...c.slice(3)])).toMatchObject({ ok: false, firstBrokenIndex: 3 });
  });
});

describe('API tokens', () => {
  const auth = new TokenAuth([
    { name: 'alice', role: 'viewer', token: 'viewer-token-0123456789' },
    { name: 'bob', role: 'responder', token: 'responder-token-0123456789' },
  ]);
  it.each([
    ['Bearer viewer-token-0123456789', { name: 'alice', role: 'viewer' }],
    ['Bearer responder-token-0123456789', { name: 'bob', role: 'responder' }],
    ['Bearer responder-token-012345678', null],
    ['Bearer ', null],
    ['responder-token-0123456789', null],
    [undefined, null],
  ])('%s -> %j', (header, who) => expect(auth.identify(header)).toEqual(who));

  it('ranks roles', () => {
    expect(TokenAuth.allows('responder', 'viewer')).toBe(true);
    expect(TokenAuth.allows('viewer', 'responder')).toBe(false);
  });

  it('refuses short tokens without echoing them', () => {
    expect(() => new TokenAuth([{ name: 'x', role: 'viewer', token: 'short-secret' }])).toThrow(/at least 16/);
    expect(() => new TokenAuth([{ name: 'x', role: 'viewer', token: 'short-secret' }])).not.toThrow(/short-secret/);
  });
});
