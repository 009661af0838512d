import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_RULES, type DetectionEvent } from '../../../shared/detection/index.js';
import { DUPLICATE_WINDOW } from '../../../shared/detection/engine/duplicates.js';
import { DAY_MS, HOUR_MS, T0, event, run, stream } from './helpers.js';

/** The stream with some batches (up to `batch` events of the last 2 minutes) sent twice, as an SDK does after a timed-out acknowledgement. */
function withResentBatches(events: DetectionEvent[], every: number, batch: number): DetectionEvent[] {
  const out: DetectionEvent[] = [];
  for (let i = 0; i < events.length; i++) {
    out.push(events[i]!);
    if (i % every !== every - 1) continue;
    for (let j = Math.max(0, i - batch + 1); j <= i; j++) if (events[i]!.timestamp - events[j]!.timestamp <= 120_000) out.push({ ...events[j]! });
  }
  return out;
}

describe('exact duplicates at the detector', () => {
  it('re-sent batches change no alert and no state, and are counted', () => {
    const events = stream({ to: T0 + 2 * DAY_MS, perBucket: 8, seed: 7 });
    const plain = run(events);
    const resentEvents = withResentBatches(events, 97, 20);
    expect(resentEvents.length - events.length).toBeGreaterThan(20);
    const resent = run(resentEvents);
    expect(resent.alerts).toEqual(plain.alerts);
    expect(resent.engine.snapshotAgent('agent-1')).toEqual(plain.engine.snapshotAgent('agent-1'));
    expect(resent.engine.stats()).toMatchObject({ duplicates: resentEvents.length - events.length, untrusted: 0 });
  });

  it('a re-sent batch right after its original raises no seq-replay', () => {
    const engine = createEngine(DEFAULT_RULES);
    const batch = Array.from({ length: 30 }, (_, i) => event({ timestamp: T0 + i * 1000, seq: 100 + i }));
    for (const e of batch) engine.process(e);
    const again = batch.flatMap((e) => engine.process({ ...e }));
    expect(again).toEqual([]);
    expect(engine.stats()).toMatchObject({ duplicates: 30, untrusted: 0 });
  });

  it('the same seq with another eventId, or the same eventId with other fields, is still a seq replay', () => {
    const engine = createEngine(DEFAULT_RULES);
    const a = event({ timestamp: T0, seq: 10 });
    engine.process(a);
    engine.process(event({ timestamp: T0 + 1000, seq: 11 }));
    const clone = engine.process(event({ timestamp: T0 + 2000, seq: 10 }));
    expect(clone.map((x) => x.ruleId)).toEqual(['impersonation.seq-replay']);
    engine.process({ ...a, bytesOut: a.bytesOut + 1 });
    expect(engine.stats()).toMatchObject({ duplicates: 0, untrusted: 2 });
  });

  it(`a re-send older than the window (${DUPLICATE_WINDOW} events) is a seq replay: the window bounds memory`, () => {
    const engine = createEngine(DEFAULT_RULES);
    const events = Array.from({ length: DUPLICATE_WINDOW + 1 }, (_, i) => event({ timestamp: T0 + i * 1000, seq: 1 + i }));
    for (const e of events) engine.process(e);
    expect(engine.process({ ...events[1]! })).toEqual([]); // still in the window
    expect(engine.process({ ...events[0]! }).map((x) => x.ruleId)).toEqual(['impersonation.seq-replay']);
  });

  it('an exact copy of an event dated more than 15 minutes before the agent\'s latest is a replay, not a re-send', () => {
    const engine = createEngine(DEFAULT_RULES);
    const old = event({ timestamp: T0, seq: 1 });
    engine.process(old);
    engine.process(event({ timestamp: T0 + 14 * 60_000, seq: 2 }));
    expect(engine.process({ ...old })).toEqual([]); // 14 minutes: a producer's re-send
    engine.process(event({ timestamp: T0 + 16 * 60_000, seq: 3 }));
    expect(engine.process({ ...old }).map((x) => x.ruleId)).toEqual(['impersonation.seq-replay']);
    expect(engine.stats()).toMatchObject({ duplicates: 1, untrusted: 1 });
  });

  it('the window survives a snapshot round trip (JSON and bytes); a snapshot without one restores empty', () => {
    const events = Array.from({ length: 20 }, (_, i) => event({ timestamp: T0 + i * 1000, seq: 1_000_000 + i * 7 }));
    const source = createEngine(DEFAULT_RULES);
    for (const e of events) source.process(e);
    const json = JSON.parse(JSON.stringify(source.snapshotAgent('agent-1')));
    expect(json.recent.seqsBack).toHaveLength(20);

    for (const restore of [(e: ReturnType<typeof createEngine>) => e.restoreAgent('agent-1', json), (e: ReturnType<typeof createEngine>) => e.restoreAgentBytes('agent-1', source.snapshotAgentBytes('agent-1')!)]) {
      const target = createEngine(DEFAULT_RULES);
      restore(target);
      expect(events.flatMap((e) => target.process({ ...e }))).toEqual([]);
      expect(target.stats()).toMatchObject({ duplicates: 20, untrusted: 0 });
      expect(target.snapshotAgent('agent-1')).toEqual(source.snapshotAgent('agent-1'));
    }

    const old = createEngine(DEFAULT_RULES);
    const { recent: _recent, ...withoutWindow } = json;
    old.restoreAgent('agent-1', withoutWindow);
    expect(old.process({ ...events[19]! }).map((x) => x.ruleId)).toEqual(['impersonation.seq-replay']);
  });

  it('a malformed window in a snapshot is refused and counted', () => {
    const source = createEngine(DEFAULT_RULES);
    source.process(event({ timestamp: T0 + HOUR_MS, seq: 5 }));
    const snap = source.snapshotAgent('agent-1')!;
    const target = createEngine(DEFAULT_RULES);
    expect(() => target.restoreAgent('agent-1', { ...snap, recent: { seqsBack: [0, 1], digests: [1] } })).toThrow(/duplicate window/);
    expect(target.stats().refusedSnapshots).toBe(1);
    expect(target.agentIds()).toEqual([]);
  });
});
