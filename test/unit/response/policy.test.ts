import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, decide, parsePolicy, type Policy } from '../../../shared/response/index.js';
import { RulesError } from '../../../shared/errors/index.js';
import type { Alert } from '../../../shared/schemas/generated.js';

const alert = (over: Partial<Alert>): Alert => ({
  alertId: 'a1', agentId: 'support-1', agentRole: 'support', tenantId: 't', detector: 'rate-spike', ruleId: 'rate-spike.agent',
  title: 'spike', description: 'd', severity: 'HIGH', score: 80, firstSeen: 0, lastSeen: 0, count: 1,
  evidence: { metric: 'm', observed: 1, baselineMean: null, baselineStd: null, baselineMedian: null, baselineMad: null, sampleSize: 0, baselineSource: 'agent', windowStart: 0, windowEnd: 0, relatedEventIds: [], details: {} },
  tags: [], ...over,
});

describe('default response policy', () => {
  it('is exactly rules/response.yaml', () => {
    expect(parsePolicy(readFileSync('rules/response.yaml', 'utf8'))).toEqual(DEFAULT_POLICY);
  });

  it.each([
    ['unusual payment', { detector: 'volume-spike', ruleId: 'volume-spike.payment', severity: 'CRITICAL' }, 'payment-throttle', 'throttle', 'auto', ['payment.*']],
    ['exfiltration', { detector: 'volume-spike', ruleId: 'volume-spike.bytes-out', severity: 'HIGH' }, 'exfiltration-quarantine', 'quarantine', 'auto', []],
    ['suspected exfiltration (MEDIUM)', { detector: 'volume-spike', ruleId: 'volume-spike.bytes-out', severity: 'MEDIUM' }, 'exfiltration-throttle', 'throttle', 'auto', ['net.egress', 'email.send', 'file.upload']],
    ['a small bulk read (LOW)', { detector: 'volume-spike', ruleId: 'volume-spike.records', severity: 'LOW' }, 'notify', 'notify', 'auto', []],
    ['injection', { detector: 'injection', ruleId: 'injection.marker', severity: 'HIGH' }, 'injection-throttle', 'throttle', 'auto', ['net.egress', 'email.send', 'payment.*', 'file.delete', 'permission.change']],
    ['credential burst', { detector: 'error-burst', ruleId: 'error-burst.auth-failures', severity: 'HIGH' }, 'credential-throttle', 'throttle', 'auto', ['auth.*', 'permission.change']],
    ['forged or unsigned events', { detector: 'impersonation', ruleId: 'impersonation.signature', severity: 'CRITICAL', tags: ['warden:unverified'] }, 'impersonation-forged-notify', 'notify', 'auto', []],
    ['signed replay or clone', { detector: 'impersonation', ruleId: 'impersonation.seq-replay', severity: 'CRITICAL', tags: ['warden:key-compromise'] }, 'key-compromise-approval', 'quarantine', 'approval', []],
    ['other critical', { detector: 'rate-spike', ruleId: 'rate-spike.agent', severity: 'CRITICAL' }, 'critical-quarantine', 'quarantine', 'auto', []],
    ['other high', { detector: 'rate-spike', ruleId: 'rate-spike.agent', severity: 'HIGH' }, 'high-approval', 'quarantine', 'approval', []],
    ['medium', { detector: 'off-hours', ruleId: 'off-hours.activity', severity: 'MEDIUM' }, 'notify', 'notify', 'auto', []],
  ] as const)('%s -> %s', (_name, over, ruleId, action, mode, revoke) => {
    const d = decide(alert(over as Partial<Alert>), DEFAULT_POLICY);
    expect(d).toMatchObject({ ruleId, action, mode, revoke: [...revoke] });
    expect(d.ttlMs).toBe(action === 'notify' ? null : d.ttlMs);
  });

  it('proposes a quarantine by approval for a signed replay, escalating on timeout, and says to rotate the key', () => {
    const d = decide(alert({ agentId: 'billing-01', detector: 'impersonation', ruleId: 'impersonation.seq-replay', severity: 'CRITICAL', tags: ['warden:key-compromise'] }), DEFAULT_POLICY);
    expect(d).toMatchObject({ action: 'quarantine', mode: 'approval', onTimeout: 'escalate' });
    expect(d.reason).toMatch(/key is compromised: rotate billing-01's key/);
  });

  it('leaves the safeguards to the gate: the decision is what the rule says, for a protected agent too', () => {
    // The gate (gate.test.ts) holds it; decide() must not be a second place where protection is applied.
    const d = decide(alert({ agentId: 'prod-critical-payments', severity: 'CRITICAL' }), DEFAULT_POLICY);
    expect(d).toMatchObject({ ruleId: 'critical-quarantine', action: 'quarantine', mode: 'auto' });
    expect(d.reason).not.toMatch(/rotate/);
  });
});

describe('policy matching', () => {
  const policy: Policy = parsePolicy(`
version: 1
rules:
  - { id: finance-only, description: d, match: { roles: [finance], tags: ["owasp-llm:*"] }, action: throttle, revoke: ["payment.*"] }
  - { id: fallback, description: d, action: notify }
`);
  it.each([
    [{ agentRole: 'finance', tags: ['owasp-llm:LLM06'] }, 'finance-only'],
    [{ agentRole: 'finance', tags: ['mitre:T1041'] }, 'fallback'],
    [{ agentRole: 'support', tags: ['owasp-llm:LLM06'] }, 'fallback'],
  ])('%j -> %s', (over, ruleId) => expect(decide(alert(over), policy).ruleId).toBe(ruleId));

  it('rejects a bad policy with the path of the problem', () => {
    expect(() => parsePolicy('version: 1\nrules:\n  - { id: t, description: d, action: throttle }\n', 'p.yaml')).toThrow(RulesError);
    expect(() => parsePolicy('version: 1\nrules:\n  - { id: t, description: d, action: throttle }\n', 'p.yaml')).toThrow(/rules\.0\.revoke/);
    expect(() => parsePolicy('version: 1\nrules:\n  - { id: t, description: d, action: explode }\n')).toThrow(/rules\.0\.action/);
    expect(() => parsePolicy('version: 2\nrules: []\n')).toThrow(/version/);
  });
});
