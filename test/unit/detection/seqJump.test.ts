/**
 * Far-future sequence numbers (issue 11, "seq-jump blinding"): the SDK's seq is at least the clock in
 * microseconds, so a validly signed event whose seq is far past its own time is not the SDK's. It is
 * reported, and it must not make every later genuine event look like a replay (which kept them from
 * every other detector: an exfiltration after the jump went unseen).
 */
import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_RULES, type DetectionEvent } from '../../../shared/detection/index.js';
import type { Alert } from '../../../shared/schemas/generated.js';
import { DAY_MS, HOUR_MS, T0, event, merge, run, rulesWith, stream } from './helpers.js';

/** Sequence numbers as the SDK makes them: the event's clock in µs, strictly increasing. */
function sdkSeqs(events: DetectionEvent[]): DetectionEvent[] {
  let last = 0;
  for (const e of events) {
    last = Math.max(last + 1, e.timestamp * 1000);
    e.seq = last;
  }
  return events;
}

const STRIKE = T0 + 2 * DAY_MS + 12 * HOUR_MS;

/** Two days of ordinary traffic, then an exfiltration one minute after STRIKE. */
function fleetDay(): DetectionEvent[] {
  const base = stream({ to: T0 + 3 * DAY_MS, perBucket: 10, seed: 3 });
  const exfil = [0, 1, 2, 3].map((i) => event({ timestamp: STRIKE + 60_000 + i * 10_000, action: 'net.egress', target: 'files.example', bytesOut: 2_500_000 }));
  return sdkSeqs(merge(base, exfil));
}

/** The same stream with one signed event at STRIKE whose seq is `jumpUs` past the previous one. */
function withJump(events: DetectionEvent[], jumpUs: number): DetectionEvent[] {
  const at = events.findIndex((e) => e.timestamp >= STRIKE);
  const jump = event({ timestamp: STRIKE, seq: events[at - 1]!.seq + jumpUs, action: 'tool.call', resource: 'search_kb' });
  return [...events.slice(0, at), jump, ...events.slice(at).map((e) => ({ ...e }))];
}

const notImpersonation = (alerts: Alert[]) => alerts.filter((a) => a.detector !== 'impersonation').map((a) => [a.ruleId, a.alertId, a.severity, a.count]);

describe('far-future sequence numbers', () => {
  it('one signed event with seq + 10^13 is reported, and the exfiltration after it is still seen as on its twin', () => {
    const twin = run(fleetDay());
    const attacked = run(withJump(fleetDay(), 1e13));
    expect(twin.alerts.some((a) => a.ruleId === 'volume-spike.bytes-out')).toBe(true);
    expect(notImpersonation(attacked.alerts)).toEqual(notImpersonation(twin.alerts));
    const imp = attacked.alerts.filter((a) => a.detector === 'impersonation');
    expect(imp.map((a) => a.ruleId)).toEqual(['impersonation.seq-jump']);
    expect(imp[0]!.tags).toContain('warden:key-compromise');
    expect(Number(imp[0]!.evidence.details.leadMs)).toBeGreaterThan(1e9);
    expect(attacked.engine.stats().untrusted).toBe(0);
  });

  it('a jump below the report threshold blinds nothing either (the mark rises to its time + 1 s): later genuine events raise no seq-replay', () => {
    const twin = run(fleetDay());
    const attacked = run(withJump(fleetDay(), 12 * HOUR_MS * 1000));
    expect(notImpersonation(attacked.alerts)).toEqual(notImpersonation(twin.alerts));
    expect(attacked.alerts.filter((a) => a.detector === 'impersonation')).toEqual([]);
  });

  it('the jump does not move the agent\'s replay mark: a replay of an event from before it is still a replay', () => {
    const engine = createEngine(DEFAULT_RULES);
    const a = event({ timestamp: T0, seq: T0 * 1000 });
    const b = event({ timestamp: T0 + 1000, seq: (T0 + 1000) * 1000 });
    engine.process(a);
    engine.process(b);
    const mark = () => (engine.snapshotAgent('agent-1')!.detectors.impersonation as { lastSeq: number }).lastSeq;
    expect(mark()).toBe(b.seq);
    expect(engine.process(event({ timestamp: T0 + 2000, seq: b.seq + 1e13 })).map((x) => x.ruleId)).toEqual(['impersonation.seq-jump']);
    expect(mark()).toBe(b.seq);
    expect(engine.process(event({ timestamp: T0 + 3000, seq: (T0 + 3000) * 1000 }))).toEqual([]);
    expect(engine.process({ ...a, eventId: 'evt-replayed' }).map((x) => x.ruleId)).toEqual(['impersonation.seq-replay']);
  });

  it('a re-sent batch after a jump raises no seq-replay', () => {
    const engine = createEngine(DEFAULT_RULES);
    const batch = sdkSeqs(Array.from({ length: 20 }, (_, i) => event({ timestamp: T0 + HOUR_MS + i * 500 })));
    engine.process(event({ timestamp: T0 + HOUR_MS - 1, seq: (T0 + HOUR_MS) * 1000 + 1e13 }));
    const alerts = [...batch, ...batch.map((e) => ({ ...e }))].flatMap((e) => engine.process(e));
    expect(alerts.filter((a) => a.ruleId === 'impersonation.seq-replay')).toEqual([]);
    expect(engine.stats()).toMatchObject({ duplicates: 20, untrusted: 0 });
  });

  it('the report threshold is a rule threshold; small counters (tests, replays of old files) are never far ahead', () => {
    const strict = createEngine(rulesWith({ rules: [{ id: 'impersonation.seq-jump', thresholds: { maxSeqLeadMs: 60_000 } }] }));
    expect(strict.process(event({ timestamp: T0, seq: (T0 + 61_000) * 1000 })).map((x) => x.ruleId)).toEqual(['impersonation.seq-jump']);
    expect(strict.process(event({ timestamp: T0 + 1, seq: (T0 + 59_000) * 1000 }))).toEqual([]);
    expect(run(stream({ to: T0 + DAY_MS, perBucket: 5 })).alerts.filter((a) => a.detector === 'impersonation')).toEqual([]);
  });
});
