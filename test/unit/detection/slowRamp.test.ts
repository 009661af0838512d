import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createEngine, DEFAULT_RULES, SnapshotVersionError, type AgentSnapshot, type DetectionEvent, type Json } from '../../../shared/detection/index.js';
import { evalDrift, newDrift, pushDrift, restoreDrift, snapshotDrift, type DriftResult } from '../../../shared/detection/baseline/drift.js';
import type { Alert } from '../../../shared/schemas/generated.js';
import { BUCKET_MS, DAY_MS, HOUR_MS, T0, merge, only, renumber, resumeWithState, rulesWith, run, stream } from './helpers.js';

const bucketsIn = (alertAt: number, start: number) => Math.floor(alertAt / BUCKET_MS) - Math.floor(start / BUCKET_MS);
/** Event time at which an incident (alert id) was first emitted. */
const firstAt = (alerts: Alert[], at: number[], incident: Alert) => at[alerts.findIndex((a) => a.alertId === incident.alertId)]!;

describe('drift test', () => {
  const result = (): DriftResult => ({ z: 0, runBuckets: 0, slope: 0, anyZ: 0 });

  it('a straight rise from the reference scores high and recovers its start and slope; a flat series does not', () => {
    const g = newDrift();
    for (let i = 0; i < 10; i++) pushDrift(g, 0, 1, 30);
    for (let j = 1; j <= 16; j++) pushDrift(g, 0.25 * j, 1, 30);
    const out = result();
    evalDrift(g, 8, 30, 0.02, out);
    expect(out.z).toBeGreaterThan(8);
    expect(out.runBuckets).toBe(16);
    expect(out.slope).toBeCloseTo(0.25, 5);

    const flat = newDrift();
    for (let i = 0; i < 30; i++) pushDrift(flat, i % 2 ? 0.5 : -0.5, 1, 30);
    evalDrift(flat, 8, 30, 0.02, out);
    expect(out.anyZ).toBeLessThan(1);
  });

  it('a step that ended is weaker evidence than a ramp reaching the same height; empty buckets count for nothing', () => {
    const ramp = newDrift();
    const step = newDrift();
    for (let j = 1; j <= 12; j++) pushDrift(ramp, (2 * j) / 12, 1, 30);
    for (let j = 1; j <= 12; j++) pushDrift(step, j > 4 && j <= 9 ? 2 : 0, 1, 30);
    const a = result();
    const b = result();
    evalDrift(ramp, 8, 30, 0.02, a);
    evalDrift(step, 8, 30, 0.02, b);
    expect(a.z).toBeGreaterThan(b.z);

    const holes = newDrift();
    for (let j = 1; j <= 12; j++) {
      pushDrift(holes, (2 * j) / 12, 1, 30);
      pushDrift(holes, 5, 0, 30);
    }
    const c = result();
    evalDrift(holes, 8, 30, 0, c);
    expect(c.slope).toBeCloseTo(1 / 12, 1);
    const restored = restoreDrift(JSON.parse(JSON.stringify(snapshotDrift(holes))));
    expect(snapshotDrift(restored)).toEqual(snapshotDrift(holes));
    // Restored (its ring only as long as it held) and live (room for the window) go on alike.
    for (let j = 0; j < 40; j++) for (const g of [holes, restored]) pushDrift(g, (j % 7) / 3, j % 3, 30);
    expect(snapshotDrift(restored)).toEqual(snapshotDrift(holes));
    const d = result();
    evalDrift(restored, 8, 30, 0, d);
    evalDrift(holes, 8, 30, 0, c);
    expect(d).toEqual(c);
    // The positional tuple that slow-ramp snapshot versions 1 and 2 held reads as the same ring; a malformed one throws.
    const named = snapshotDrift(holes) as { residuals: number[]; weights: number[]; head: number; fired: number; anyZ: number };
    expect(Object.keys(named)).toEqual(['residuals', 'weights', 'head', 'fired', 'anyZ']);
    expect(snapshotDrift(restoreDrift([named.residuals, named.weights, named.head, named.fired, named.anyZ]))).toEqual(named);
    expect(() => restoreDrift({ ...named, weights: [1] })).toThrow(/residuals and weights/);
    expect(() => restoreDrift([named.residuals, named.weights, 'x', 0, 0])).toThrow(/head, fired or anyZ/);
  });

  it('minSlope keeps a level that sits a little high from passing as a ramp', () => {
    const g = newDrift();
    for (let i = 0; i < 30; i++) pushDrift(g, 1, 1, 30);
    const out = result();
    evalDrift(g, 12, 30, 0.1, out);
    // Through zero, a constant offset c over n buckets fits a slope of 3c / (2n + 1): only short runs reach minSlope.
    expect(out.anyZ).toBeGreaterThan(4);
    expect(out.z).toBeLessThan(3.5);
    expect(out.runBuckets).toBeLessThanOrEqual(14);
  });
});

describe('slow-ramp', () => {
  // The ramp's own detector, alone: a ramp's rising total also alerts as an accumulation (accumulation.test.ts),
  // which joins the same incident (rules/detection.yaml incidentGroups) and would answer first.
  const withoutAccumulation = () => createEngine(rulesWith({ baseline: { accumulation: { horizonsHours: [] } } }));
  const level = 30;
  const rampStart = T0 + 3 * DAY_MS + 10 * HOUR_MS;
  const ramp = (start: number) => (ts: number) => (ts < start || ts >= start + 36 * BUCKET_MS ? level : level * 1.05 ** Math.floor((ts - start) / BUCKET_MS));

  it('catches a +5%/bucket rise in actions before it doubles the rolling baseline (14.2 + 12 buckets)', () => {
    const { alerts, at } = run(stream({ to: rampStart + 40 * BUCKET_MS, perBucket: ramp(rampStart) }), withoutAccumulation());
    const ramps = only(alerts, 'slow-ramp.rate');
    expect(ramps.length).toBeGreaterThan(0);
    const n = bucketsIn(firstAt(alerts, at, ramps[0]!), rampStart);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(26);
    // The spike detectors alone would not have caught it by then.
    expect(only(alerts, 'rate-spike').filter((a) => a.firstSeen < rampStart + n * BUCKET_MS)).toEqual([]);
    expect(ramps[0]!.evidence.details.slopePerBucket).toMatch(/%$/);
    expect(only(alerts, 'slow-ramp.volume')).toEqual([]);
  });

  it('catches events that carry a little more data every bucket (records, bytes out, tokens per event), at a constant event rate', () => {
    const grow = (ts: number) => (ts < rampStart ? 1 : 1.05 ** Math.floor((ts - rampStart) / BUCKET_MS));
    const events = stream({
      to: rampStart + 40 * BUCKET_MS,
      perBucket: level,
      with: (rng, ts) => ({ records: Math.round(rng.lognormal(10, 0.8) * grow(ts)), bytesOut: Math.round(rng.lognormal(2000, 0.8) * grow(ts)), tokens: Math.round(rng.lognormal(300, 0.8) * grow(ts)) }),
    });
    const { alerts, at } = run(events, withoutAccumulation());
    const ramps = only(alerts, 'slow-ramp.volume');
    expect(ramps.length).toBeGreaterThan(0);
    const n = bucketsIn(firstAt(alerts, at, ramps[0]!), rampStart);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(15);
    expect(ramps[0]!.evidence.metric).toMatch(/per event/);
    expect(only(alerts, 'slow-ramp.rate')).toEqual([]);
  });

  it('a flat agent raises no ramp', () => {
    const { alerts } = run(stream({ to: T0 + 5 * DAY_MS, perBucket: level }));
    expect(only(alerts, 'slow-ramp')).toEqual([]);
  });

  it("a new agent that learned on a weekend reads its first weekday against no profile, not the weekend's: a busier Monday is no ramp", () => {
    // Business hours, smooth (a day starts over a few hours): 2.5x busier on weekdays than on weekends.
    const saturday = T0 + 5 * DAY_MS;
    const shape = (ts: number) => {
      const hour = (ts % DAY_MS) / HOUR_MS;
      const day = Math.floor((ts - T0) / DAY_MS) % 7;
      const weekend = day >= 5;
      return (weekend ? 4 : 10) * Math.max(0.05, Math.sin((Math.PI * (hour - 6)) / 14)) * (hour > 6 && hour < 20 ? 1 : 0.05);
    };
    const { alerts } = run(stream({ from: saturday, to: saturday + 3 * DAY_MS, perBucket: shape }));
    expect(only(alerts, 'slow-ramp.rate')).toEqual([]);
  });

  it('a nightly batch job (a burst of big reads at the same hour every day) is not a ramp', () => {
    const jobs: DetectionEvent[][] = [];
    for (let day = 0; day < 6; day++) {
      const begin = T0 + day * DAY_MS + 2 * HOUR_MS + ((day * 7) % 15) * 60_000;
      jobs.push(stream({ from: begin, to: begin + 25 * 60_000, perBucket: 2 * level, seed: 100 + day, actions: ['data.read'], with: (rng) => ({ records: Math.round(rng.lognormal(50, 0.3)) }) }));
    }
    const events = renumber(merge(stream({ to: T0 + 6 * DAY_MS, perBucket: level }), ...jobs));
    const { alerts } = run(events);
    expect(only(alerts, 'slow-ramp')).toEqual([]);
  });

  /** Buckets from `second` to the one slow-ramp.rate alert raised at or after it (exactly one must be). */
  const bucketsToSecondRamp = (events: DetectionEvent[], second: number): number => {
    const { alerts, at } = run(renumber(events));
    const late = only(alerts, 'slow-ramp.rate').filter((a) => firstAt(alerts, at, a) >= second);
    expect(late.length).toBe(1);
    return bucketsIn(firstAt(alerts, at, late[0]!), second);
  };

  it('a ramp that alarmed does not teach the profile: the same ramp the next day is caught as early as without the first', () => {
    const second = rampStart + DAY_MS;
    // Ramps as extra events on top of the same ordinary traffic (as the scenario generator injects them).
    const extra = (start: number, seed: number) => stream({ from: start, to: start + 36 * BUCKET_MS, perBucket: (ts) => ramp(start)(ts) - level, seed, agentId: 'agent-1' });
    const base = stream({ to: second + 40 * BUCKET_MS, perBucket: level });
    const detect = (events: DetectionEvent[]) => bucketsToSecondRamp(events, second);
    const alone = detect(merge(base, extra(second, 7)));
    const both = detect(merge(base, extra(rampStart, 5), extra(second, 7)));
    expect(both).toBeLessThan(26);
    expect(both).toBeLessThanOrEqual(alone + 1);
  });

  it('a ramp still rising when the new-normal stretch ends is not accepted: the same ramp the next day is caught as early', () => {
    const second = rampStart + DAY_MS;
    // 60 buckets at +4%/bucket: still climbing over the whole 3-h stretch after its alarm.
    const long = stream({ from: rampStart, to: rampStart + 60 * BUCKET_MS, perBucket: (ts) => level * (1.04 ** Math.floor((ts - rampStart) / BUCKET_MS) - 1), seed: 5, agentId: 'agent-1' });
    const extra = stream({ from: second, to: second + 36 * BUCKET_MS, perBucket: (ts) => ramp(second)(ts) - level, seed: 7, agentId: 'agent-1' });
    const base = stream({ to: second + 40 * BUCKET_MS, perBucket: level });
    const detect = (events: DetectionEvent[]) => bucketsToSecondRamp(events, second);
    const alone = detect(merge(base, extra));
    const both = detect(merge(base, long, extra));
    expect(both).toBeLessThanOrEqual(alone + 1);
  });

  it('state moved mid-ramp and mid-bucket (snapshot -> JSON -> restore) gives the same alerts', () => {
    const events = stream({ to: rampStart + 40 * BUCKET_MS, perBucket: ramp(rampStart) });
    const cut = events.findIndex((e) => e.timestamp >= rampStart + 6 * BUCKET_MS + BUCKET_MS / 2);
    const straight = run(events).alerts;
    const first = createEngine(DEFAULT_RULES);
    for (const e of events.slice(0, cut)) first.process(e);
    const snap = JSON.parse(JSON.stringify(first.snapshotAgent('agent-1'))) as AgentSnapshot;
    const second = createEngine(DEFAULT_RULES);
    second.restorePeers(JSON.parse(JSON.stringify(first.snapshotPeers())));
    second.restoreAgent('agent-1', snap);
    const rest: Alert[] = [];
    for (const e of events.slice(cut)) rest.push(...second.process(e));
    expect(only(rest, 'slow-ramp')).toEqual(only(straight, 'slow-ramp'));
    expect(rest).toEqual(straight.slice(straight.length - rest.length));
  });

  describe('state codec', () => {
    const grow = (ts: number) => (ts < rampStart ? 1 : 1.05 ** Math.floor((ts - rampStart) / BUCKET_MS));
    // The per-event size ramp (same stream as above): every series has learned, the size drift is mid-rise.
    const sizeRamp = () => stream({ to: rampStart + 40 * BUCKET_MS, perBucket: level, with: (rng, ts) => ({ records: Math.round(rng.lognormal(10, 0.8) * grow(ts)), bytesOut: Math.round(rng.lognormal(2000, 0.8) * grow(ts)), tokens: Math.round(rng.lognormal(300, 0.8) * grow(ts)) }) });
    const cutOf = (events: DetectionEvent[]) => events.findIndex((e) => e.timestamp >= rampStart + 6 * BUCKET_MS + BUCKET_MS / 2);
    const resumeWith = (events: DetectionEvent[], cut: number, state: (own: Json) => Json) => resumeWithState(events, cut, 'slow-ramp', state).rest;

    it('a version-1 snapshot (positional tuples, saved by the code before the rename) is migrated: the same alerts as never moving the agent', () => {
      const events = sizeRamp();
      const cut = cutOf(events);
      const straight = run(events).alerts;
      // fixtures/slowRampV1.json: the v1 detector's state of agent-1 at this very cut (written by the v1 code from this stream).
      const v1 = JSON.parse(readFileSync(new URL('./fixtures/slowRampV1.json', import.meta.url), 'utf8')) as Json;
      expect(Array.isArray((v1 as { rate: unknown }).rate)).toBe(true);
      const rest = resumeWith(events, cut, () => v1);
      expect(only(straight, 'slow-ramp.volume').length).toBeGreaterThan(0);
      expect(only(rest, 'slow-ramp')).toEqual(only(straight, 'slow-ramp'));
      // And the migrated state is the state the current code builds itself.
      const own = createEngine(DEFAULT_RULES);
      for (const e of events.slice(0, cut)) own.process(e);
      const migrated = createEngine(DEFAULT_RULES);
      const snap = own.snapshotAgent('agent-1')!;
      migrated.restoreAgent('agent-1', { ...snap, detectors: { ...snap.detectors, 'slow-ramp': v1 } });
      expect(migrated.snapshotAgent('agent-1')!.detectors['slow-ramp']).toEqual(snap.detectors['slow-ramp']);
    });

    it('a version-2 snapshot (drift rings as positional tuples) is read as the same state', () => {
      const events = sizeRamp();
      const cut = cutOf(events);
      const straight = run(events).alerts;
      const toV2 = (own: Json): Json => {
        const tuple = (d: { residuals: number[]; weights: number[]; head: number; fired: number; anyZ: number }) => [d.residuals, d.weights, d.head, d.fired, d.anyZ];
        const o = JSON.parse(JSON.stringify(own)) as { version: number; rate: { drift: never } | null; sizes: ({ drift: never } | null)[] };
        expect(o.version).toBe(3);
        o.version = 2;
        if (o.rate) o.rate.drift = tuple(o.rate.drift) as never;
        for (const size of o.sizes) if (size) size.drift = tuple(size.drift) as never;
        return o as unknown as Json;
      };
      expect(only(resumeWith(events, cut, toV2), 'slow-ramp')).toEqual(only(straight, 'slow-ramp'));
      expect(only(straight, 'slow-ramp').length).toBeGreaterThan(0);
    });

    it('an unknown version, or no snapshot at all, fails loudly with SnapshotVersionError', () => {
      const events = sizeRamp();
      const cut = cutOf(events);
      expect(() => resumeWith(events, cut, (own) => ({ ...(own as object), version: 99 }))).toThrow(SnapshotVersionError);
      expect(() => resumeWith(events, cut, () => null)).toThrow(SnapshotVersionError);
      expect(() => resumeWith(events, cut, () => 'bytes')).toThrow(SnapshotVersionError);
    });

    it('the snapshot names its fields and keeps only the metrics and actions the agent has used', () => {
      // Records only, two actions: no bytes-out or tokens series, two action slots.
      const events = stream({ to: T0 + 2 * DAY_MS, perBucket: level, actions: ['data.read', 'tool.call'], with: (rng) => ({ records: rng.int(1, 20), bytesOut: 0, tokens: 0 }) });
      const { engine } = run(events);
      const state = engine.snapshotAgent('agent-1')!.detectors['slow-ramp'] as { version: number; actions: string[]; rate: { profileMeans: number[] }; sizes: ({ actionLogMeans: number[]; hourMeans: number[] } | null)[] };
      expect(state.version).toBe(3);
      expect(state.actions).toEqual(['data.read', 'tool.call']);
      expect(state.rate.profileMeans).toHaveLength(48);
      expect(state.sizes[0]!.actionLogMeans).toHaveLength(2);
      expect(state.sizes[0]!.hourMeans).toHaveLength(24);
      expect(state.sizes[1]).toBeNull();
      expect(state.sizes[2]).toBeNull();
    });

    it('a metric first seen late starts as the idle series it would have been: a tokens ramp after a day of no tokens is caught', () => {
      const tokensFrom = T0 + DAY_MS;
      const events = stream({ to: rampStart + 40 * BUCKET_MS, perBucket: level, with: (rng, ts) => ({ records: 0, bytesOut: 0, tokens: ts < tokensFrom ? 0 : Math.round(rng.lognormal(300, 0.8) * grow(ts)) }) });
      const { alerts, at } = run(events);
      const ramps = only(alerts, 'slow-ramp.volume');
      expect(ramps.length).toBeGreaterThan(0);
      expect(ramps[0]!.evidence.metric).toMatch(/tokens/);
      expect(bucketsIn(firstAt(alerts, at, ramps[0]!), rampStart)).toBeLessThan(20);
    });
  });
});
