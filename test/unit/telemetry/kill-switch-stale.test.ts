import { describe, expect, it } from 'vitest';
import type { QuarantineCommand } from '../../../shared/schemas/generated.js';
import { KillSwitchState } from '../../../shared/telemetry/index.js';

const cmd = (over: Partial<QuarantineCommand>): QuarantineCommand => ({
  commandId: 'c', agentId: 'a1', type: 'QUARANTINE', revokedCapabilities: [], reason: 'test', alertIds: [], issuedBy: 'test', issuedAt: 1_000, expiresAt: null, ...over,
});
const ready = () => {
  const s = new KillSwitchState();
  s.caughtUp = true;
  return s;
};

describe('kill switch state: a command older than the one held is stale', () => {
  it('an older RELEASE does not undo a newer QUARANTINE; a newer one does', () => {
    const s = ready();
    expect(s.apply(cmd({ issuedAt: 1_000 }))).toBe('applied');
    expect(s.apply(cmd({ type: 'RELEASE', issuedAt: 999 }))).toBe('stale');
    expect(s.effective(2_000).mode).toBe('QUARANTINED');
    expect(s.apply(cmd({ type: 'RELEASE', issuedAt: 1_001 }))).toBe('applied');
    expect(s.effective(2_000).mode).toBe('ACTIVE');
  });

  it('a RELEASE is held as the watermark: a replayed older QUARANTINE stays out', () => {
    const s = ready();
    s.apply(cmd({ issuedAt: 1_000 }));
    s.apply(cmd({ type: 'RELEASE', issuedAt: 2_000 }));
    expect(s.apply(cmd({ issuedAt: 1_000 }))).toBe('stale');
    expect(s.effective(3_000).mode).toBe('ACTIVE');
  });

  it('an expired command still holds its time: an older command does not return after the expiry', () => {
    const s = ready();
    s.apply(cmd({ type: 'THROTTLE', revokedCapabilities: ['payment.*'], issuedAt: 5_000, expiresAt: 6_000 }));
    expect(s.effective(7_000).mode).toBe('ACTIVE'); // lapsed
    expect(s.apply(cmd({ issuedAt: 4_000 }))).toBe('stale');
    expect(s.effective(7_000).mode).toBe('ACTIVE');
    expect(s.apply(cmd({ issuedAt: 6_500 }))).toBe('applied'); // newer than the lapsed one: applies
    expect(s.effective(7_000).mode).toBe('QUARANTINED');
  });

  it('the same time applies (a redelivery, two commands in one millisecond)', () => {
    const s = ready();
    s.apply(cmd({ issuedAt: 1_000 }));
    expect(s.apply(cmd({ type: 'RELEASE', commandId: 'c2', issuedAt: 1_000 }))).toBe('applied');
    expect(s.effective(1_000).mode).toBe('ACTIVE');
  });

  it('the fleet slot and the agent slot keep their own times', () => {
    const s = ready();
    s.apply(cmd({ issuedAt: 5_000 }));
    // A fleet command older than the agent's own command is not stale: it is judged against the fleet slot.
    expect(s.apply(cmd({ agentId: '*', issuedAt: 1_000 }))).toBe('applied');
    expect(s.apply(cmd({ agentId: '*', type: 'RELEASE', issuedAt: 900 }))).toBe('stale');
    expect(s.apply(cmd({ agentId: '*', type: 'RELEASE', issuedAt: 1_100 }))).toBe('applied');
    expect(s.apply(cmd({ type: 'RELEASE', issuedAt: 4_999 }))).toBe('stale');
    expect(s.effective(6_000).mode).toBe('QUARANTINED');
  });
});
