/**
 * The isolation gate, path by path and safeguard by safeguard: every way an
 * isolation can be asked for, against every safeguard, with the verdict
 * expected. A row per cell, so a change of behaviour names its cell.
 */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, FLEET, FLEET_CONFIRMATION, gate, parsePolicy, type IsolationPath, type IsolationRequest } from '../../../shared/response/index.js';

const policy = parsePolicy(`
version: 1
protectedAgents: ["prod-critical-*"]
circuitBreaker: { maxAgents: 2, windowMs: 60000 }
rules:
  - { id: notify, description: d, action: notify }
`);
const NOW = 1_000_000;

/** A breaker with room, or one already tripped by other agents in this window. */
function breaker(state: 'closed' | 'tripped'): CircuitBreaker {
  const b = new CircuitBreaker(policy.circuitBreaker.maxAgents, policy.circuitBreaker.windowMs);
  if (state === 'tripped') for (const a of ['other-1', 'other-2', 'other-3']) b.check(a, NOW - 10);
  expect(b.open).toBe(state === 'tripped');
  return b;
}

type Safeguard = 'normal' | 'protected' | 'breaker tripped' | 'fleet key' | 'unverified tag' | 'unverified rule';
const normalAlert = { alertId: 'a1', ruleId: 'rate-spike.agent', tags: ['owasp-llm:LLM06'] };

function request(path: IsolationPath, safeguard: Safeguard): IsolationRequest {
  const withAlert = path !== 'operator' && path !== 'fleet';
  const agentId = path === 'fleet' || safeguard === 'fleet key' ? FLEET : safeguard === 'protected' ? 'prod-critical-payments' : 'support-1';
  const alert =
    !withAlert ? null
    : safeguard === 'unverified tag' ? { alertId: 'a2', ruleId: 'test.auto', tags: ['warden:unverified'] }
    : safeguard === 'unverified rule' ? { alertId: 'a3', ruleId: 'impersonation.signature', tags: [] }
    : normalAlert;
  return { path, agentId, action: 'quarantine', alert, onTimeout: 'escalate', confirmation: path === 'fleet' ? FLEET_CONFIRMATION : null };
}

type Expected = readonly [outcome: 'allow' | 'hold' | 'refuse', code: string, onTimeout?: 'escalate' | 'dismiss'];
const ALLOW: Expected = ['allow', 'allowed'];
const FLEET_KEY: Expected = ['refuse', 'fleet-key'];
const UNVERIFIED: Expected = ['refuse', 'unverified-alert'];

// path -> safeguard -> verdict. The fleet path always names `*` with its confirmation (wrong uses are below).
const TABLE: Record<IsolationPath, Record<Safeguard, Expected>> = {
  automatic: {
    normal: ALLOW,
    protected: ['hold', 'protected-agent', 'dismiss'],
    'breaker tripped': ['hold', 'circuit-breaker', 'dismiss'],
    'fleet key': FLEET_KEY,
    'unverified tag': UNVERIFIED,
    'unverified rule': UNVERIFIED,
  },
  proposed: {
    normal: ['hold', 'approval-required', 'escalate'],
    protected: ['hold', 'protected-agent', 'dismiss'],
    // A proposal isolates nobody yet: the breaker judges its timeout, if it escalates.
    'breaker tripped': ['hold', 'approval-required', 'escalate'],
    'fleet key': FLEET_KEY,
    'unverified tag': UNVERIFIED,
    'unverified rule': UNVERIFIED,
  },
  approved: {
    normal: ALLOW,
    protected: ALLOW,
    'breaker tripped': ALLOW,
    'fleet key': FLEET_KEY,
    'unverified tag': UNVERIFIED,
    'unverified rule': UNVERIFIED,
  },
  'approval-timeout': {
    normal: ALLOW,
    protected: ['refuse', 'protected-agent'],
    'breaker tripped': ['hold', 'circuit-breaker', 'dismiss'],
    'fleet key': FLEET_KEY,
    'unverified tag': UNVERIFIED,
    'unverified rule': UNVERIFIED,
  },
  operator: {
    normal: ALLOW,
    protected: ALLOW,
    'breaker tripped': ALLOW,
    'fleet key': FLEET_KEY,
    // An operator's command has no alert behind it: nothing unverified to refuse.
    'unverified tag': ALLOW,
    'unverified rule': ALLOW,
  },
  fleet: {
    normal: ALLOW,
    protected: ALLOW,
    'breaker tripped': ALLOW,
    'fleet key': ALLOW,
    'unverified tag': ALLOW,
    'unverified rule': ALLOW,
  },
};

const rows = Object.entries(TABLE).flatMap(([path, bySafeguard]) => Object.entries(bySafeguard).map(([safeguard, expected]) => [path as IsolationPath, safeguard as Safeguard, expected] as const));

describe('the isolation gate: every path x every safeguard', () => {
  it('covers every path and every safeguard', () => {
    expect(rows).toHaveLength(6 * 6);
  });

  it.each(rows)('%s / %s -> %j', (path, safeguard, [outcome, code, onTimeout]) => {
    const v = gate(request(path, safeguard), { policy, breaker: breaker(safeguard === 'breaker tripped' ? 'tripped' : 'closed'), nowMs: NOW });
    expect({ outcome: v.outcome, code: v.code }).toEqual({ outcome, code });
    if (v.outcome === 'hold') expect(v.onTimeout).toBe(onTimeout);
    expect(v.reason.length).toBeGreaterThan(10);
  });
});

describe('the fleet key and its confirmation', () => {
  const ctx = () => ({ policy, breaker: breaker('closed'), nowMs: NOW });
  it.each([
    ['no confirmation', { confirmation: null }, 'fleet-unconfirmed'],
    ['a wrong phrase', { confirmation: 'yes' }, 'fleet-unconfirmed'],
    ['an agent on the fleet path', { agentId: 'support-1' }, 'fleet-path-not-fleet-key'],
  ] as const)('refuses the fleet kill switch with %s', (_n, over, code) => {
    expect(gate({ ...request('fleet', 'normal'), ...over }, ctx())).toMatchObject({ outcome: 'refuse', code });
  });

  it('lifts the fleet switch without the phrase, but never through an agent path', () => {
    expect(gate({ ...request('fleet', 'normal'), action: 'release', confirmation: null }, ctx())).toMatchObject({ outcome: 'allow' });
    expect(gate({ ...request('operator', 'fleet key'), action: 'release' }, ctx())).toMatchObject({ outcome: 'refuse', code: 'fleet-key' });
  });

  it('never holds a release, whatever the breaker or protection', () => {
    const v = gate({ ...request('operator', 'protected'), action: 'release' }, { policy, breaker: breaker('tripped'), nowMs: NOW });
    expect(v).toMatchObject({ outcome: 'allow' });
  });
});

describe('what the circuit breaker counts', () => {
  it('counts automatic and timed-out isolations, trips once, and holds the rest', () => {
    const b = breaker('closed');
    const at = (path: IsolationPath, agentId: string) => gate({ ...request(path, 'normal'), agentId }, { policy, breaker: b, nowMs: NOW });
    expect(at('automatic', 'a').breaker).toMatchObject({ allowed: true, agentsInWindow: 1 });
    expect(at('approval-timeout', 'b').breaker).toMatchObject({ allowed: true, agentsInWindow: 2 });
    const trip = at('automatic', 'c');
    expect(trip).toMatchObject({ outcome: 'hold', code: 'circuit-breaker', breaker: { justTripped: true, agentsInWindow: 3 } });
    expect(at('approval-timeout', 'd')).toMatchObject({ outcome: 'hold', breaker: { justTripped: false } });
  });

  it('does not count human decisions, refusals, protected agents or proposals', () => {
    const b = breaker('closed');
    const ctx = { policy, breaker: b, nowMs: NOW };
    for (const [i, path] of (['approved', 'operator', 'proposed'] as const).entries()) gate({ ...request(path, 'normal'), agentId: `human-${i}` }, ctx);
    gate(request('automatic', 'fleet key'), ctx);
    gate(request('automatic', 'unverified tag'), ctx);
    gate(request('automatic', 'protected'), ctx);
    gate(request('approval-timeout', 'protected'), ctx);
    expect(gate({ ...request('automatic', 'normal'), agentId: 'first-counted' }, ctx).breaker).toMatchObject({ allowed: true, agentsInWindow: 1 });
  });

  it('checks the fleet key and unverified alerts before protection and the breaker', () => {
    const tripped = { policy, breaker: breaker('tripped'), nowMs: NOW };
    expect(gate({ ...request('automatic', 'unverified tag'), agentId: 'prod-critical-payments' }, tripped)).toMatchObject({ code: 'unverified-alert' });
    expect(gate({ ...request('approval-timeout', 'unverified tag'), agentId: FLEET }, tripped)).toMatchObject({ code: 'fleet-key' });
  });
});
