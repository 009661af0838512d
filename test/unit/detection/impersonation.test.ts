import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_RULES } from '../../../shared/detection/index.js';
import { DAY_MS, HOUR_MS, T0, event, only, run, stream } from './helpers.js';

describe('impersonation', () => {
  it('an unsigned or forged event alerts and trains no baseline', () => {
    const base = stream({ to: T0 + DAY_MS + 12 * HOUR_MS, perBucket: 10 });
    const engine = createEngine(DEFAULT_RULES);
    run(base, engine);
    const before = engine.snapshotAgent('agent-1')!;
    const forged = Array.from({ length: 500 }, (_, i) =>
      event({ timestamp: T0 + DAY_MS + 13 * HOUR_MS + i * 1000, verification: i % 2 ? 'invalid' : 'missing', action: 'payment.transfer', amount: 1e6, resource: 'secrets/vault', bytesOut: 1e9 }),
    );
    const { alerts } = run(forged, engine);
    const sig = only(alerts, 'impersonation.signature');
    expect(sig.length).toBe(1); // one incident...
    expect(sig[0]!.severity).toBe('CRITICAL');
    const after = engine.snapshotAgent('agent-1')!;
    const { impersonation: _a, ...restBefore } = before.detectors;
    const { impersonation: _b, ...restAfter } = after.detectors;
    expect(restAfter).toEqual(restBefore); // ...and no baseline moved
    expect(after.clock).toBe(before.clock);
    expect(only(alerts, 'rate-spike')).toEqual([]);
    expect(only(alerts, 'unusual-access')).toEqual([]);
  });

  it('a reused or decreasing seq alerts; an exact redelivery of the previous event is dropped', () => {
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
    const replayed = engine.process({ ...a });
    expect(replayed).toEqual([]); // same incident (cooldown): counted, not re-emitted
    expect(engine.snapshotAgent('agent-1')!.incidents[0]![1].count).toBe(2);
    expect(engine.stats().untrusted).toBe(2);
  });

  it('unknown-key events for an agent never seen still alert', () => {
    const { alerts } = run([event({ agentId: 'ghost', agentRole: 'finance', verification: 'unknown-key' })]);
    expect(alerts.map((a) => [a.ruleId, a.agentId, a.agentRole])).toEqual([['impersonation.signature', 'ghost', 'finance']]);
  });
});
