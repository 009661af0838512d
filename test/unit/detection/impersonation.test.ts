import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_RULES } from '../../../shared/detection/index.js';
import { UNVERIFIED_TAG } from '../../../shared/detection/unverified.js';
import { DAY_MS, HOUR_MS, T0, event, only, run, stream } from './helpers.js';

describe('impersonation', () => {
  it('unsigned or forged events give one alert per claimed agent and window, train nothing, and leave no agent state', () => {
    const base = stream({ to: T0 + DAY_MS + 12 * HOUR_MS, perBucket: 10 });
    const engine = createEngine(DEFAULT_RULES);
    run(base, engine);
    const before = engine.snapshotAgent('agent-1')!;
    const forged = Array.from({ length: 200 }, (_, i) =>
      event({ timestamp: T0 + DAY_MS + 13 * HOUR_MS + i * 1000, verification: i % 2 ? 'invalid' : 'missing', action: 'payment.transfer', amount: 1e6, resource: 'secrets/vault', bytesOut: 1e9 }),
    );
    const { alerts } = run(forged, engine);
    expect(engine.snapshotAgent('agent-1')).toEqual(before); // no baseline, no clock, no incident moved
    alerts.push(...engine.flush(T0 + DAY_MS + 14 * HOUR_MS));
    const sig = only(alerts, 'impersonation.signature');
    // 200 s of events inside 5-minute windows: one alert per window at its first event, one final count at close.
    const ids = new Set(sig.map((a) => a.alertId));
    expect(ids.size).toBeLessThanOrEqual(2);
    expect(sig.every((a) => a.tags.includes(UNVERIFIED_TAG))).toBe(true);
    const last = new Map(sig.map((a) => [a.alertId, a]));
    expect([...last.values()].reduce((n, a) => n + a.count, 0)).toBe(200);
    expect(sig[0]!.evidence.details.missing).not.toBe('0');
    expect(sig[0]!.description).toContain('not isolated');
    expect(only(alerts, 'rate-spike')).toEqual([]);
    expect(only(alerts, 'unusual-access')).toEqual([]);
  });

  it('20,000 fresh claimed identities create no agent slot, and alerts stop at the cap with a counted overflow', () => {
    const engine = createEngine(DEFAULT_RULES);
    const all = [];
    for (let i = 0; i < 20_000; i++) {
      all.push(...engine.observeUnverified(event({ agentId: `ghost-${i}`, timestamp: T0 + i, verification: 'missing' }), { atMs: T0 + i, partition: i % 3, offset: String(i) }));
    }
    expect(engine.agentIds()).toEqual([]);
    expect(all.length).toBe(1001); // 1,000 claimed agents, then one overflow alert
    const overflow = all.find((a) => a.agentId === '*')!;
    expect(overflow.tags).toContain(UNVERIFIED_TAG);
    expect(engine.unverifiedStats()).toMatchObject({ trackedAgents: 1000, overflowEvents: 19_000, overflowEventsTotal: 19_000 });
    const closing = engine.flush(T0 + 10 * 60_000);
    const overflowFinal = closing.find((a) => a.agentId === '*')!;
    expect(overflowFinal.count).toBe(19_000);
    expect(overflowFinal.evidence.details.sourceOffsets).toBe('1:1000-19999,2:1001-19997,0:1002-19998');
    expect(engine.unverifiedStats().trackedAgents).toBe(0);
  });

  it('a reused or decreasing seq alerts; an exact re-send of a recent event is dropped', () => {
    const engine = createEngine(DEFAULT_RULES);
    const a = event({ timestamp: T0, seq: 10 });
    const b = event({ timestamp: T0 + 1000, seq: 11 });
    expect(engine.process(a)).toEqual([]);
    expect(engine.process(b)).toEqual([]);
    expect(engine.process({ ...b })).toEqual([]); // redelivery
    expect(engine.stats().duplicates).toBe(1);
    const reused = engine.process(event({ timestamp: T0 + 2000, seq: 11 }));
    expect(reused.map((x) => x.ruleId)).toEqual(['impersonation.seq-replay']);
    expect(reused[0]!.evidence.details.kind).toBe('reused');
    expect(engine.process({ ...a })).toEqual([]); // an exact re-send of a recent event: a duplicate (test/unit/detection/duplicates.test.ts)
    expect(engine.stats().duplicates).toBe(2);
    const replayed = engine.process({ ...a, eventId: 'evt-other-10' });
    expect(replayed).toEqual([]); // went backwards; same incident (cooldown): counted, not re-emitted
    expect(engine.snapshotAgent('agent-1')!.incidents[0]![1].count).toBe(2);
    expect(engine.stats().untrusted).toBe(2);
  });

  it('unknown-key events for an agent never seen still alert, naming the claimed role', () => {
    const { alerts } = run([event({ agentId: 'ghost', agentRole: 'finance', verification: 'unknown-key' })]);
    expect(alerts.map((a) => [a.ruleId, a.agentId, a.agentRole])).toEqual([['impersonation.signature', 'ghost', 'finance']]);
    expect(alerts[0]!.evidence.details.unknownKey).toBe('1');
  });

  it('a seq replay (validly signed) is tagged as a key compromise and says to rotate the key', () => {
    const engine = createEngine(DEFAULT_RULES);
    engine.process(event({ timestamp: T0, seq: 5 }));
    const [alert] = engine.process(event({ timestamp: T0 + 1000, seq: 5 }));
    expect(alert!.tags).toContain('warden:key-compromise');
    expect(alert!.description).toContain('rotate the key');
  });
});
