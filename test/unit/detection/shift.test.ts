/**
 * Sustained shifts (baseline/shift.ts): what no single bucket shows, a CUSUM
 * over closed buckets does. Issue 10 (level shifts were never found through
 * the engine) and issue 11 (egress paced under the per-bucket threshold for
 * hours). Each case below raises nothing without the shift tracker.
 */
import { describe, expect, it } from 'vitest';
import { createSeriesScorer } from '../../../shared/detection/index.js';
import { createShift, observeShift, DECISION_SPREADS, type ShiftInput } from '../../../shared/detection/baseline/shift.js';
import { Rng } from '../../../cli/simulate/scenario/prng.js';
import { BUCKET_MS, DAY_MS, HOUR_MS, T0, event, merge, only, renumber, run, stream } from './helpers.js';

const input = (value: number, over: Partial<ShiftInput> = {}): ShiftInput => ({
  value, expectedHigh: 100, expectedLow: 100, upperSpread: 10, lowerSpread: 10, watchUp: true, watchDown: true, minExcess: 0, restAfterFire: 24, ...over,
});

describe('the shift tracker', () => {
  it('declares a 3-spread rise after 6 buckets, with the horizon and the excess', () => {
    const t = createShift();
    const verdicts = Array.from({ length: 6 }, () => observeShift(t, input(130)));
    expect(verdicts.slice(0, 5)).toEqual([null, null, null, null, null]);
    expect(verdicts[5]).toMatchObject({ side: 'up', horizonBuckets: 6, excess: 180 });
    expect(verdicts[5]!.sum).toBeGreaterThanOrEqual(DECISION_SPREADS);
  });

  it('ignores shifts within the allowance, ones too small to add up within an hour, and a single spike (clipped)', () => {
    const t = createShift();
    for (let i = 0; i < 500; i++) expect(observeShift(t, input(114))).toBeNull();
    for (let i = 0; i < 500; i++) expect(observeShift(t, input(121))).toBeNull();
    expect(observeShift(t, input(100_000))).toBeNull();
  });

  it('sees a fall on a two-sided series, and not on an up-only one', () => {
    const both = createShift();
    const up = createShift();
    const b = [60, 60, 60, 60, 60].map((v) => observeShift(both, input(v)));
    const u = [60, 60, 60, 60, 60].map((v) => observeShift(up, input(v, { watchDown: false })));
    expect(b.find((v) => v !== null)).toMatchObject({ side: 'down' });
    expect(u.every((v) => v === null)).toBe(true);
  });

  it('rests after firing, and applies an absolute floor to the total, not per bucket', () => {
    const t = createShift();
    const fired = Array.from({ length: 6 }, () => observeShift(t, input(130))).filter(Boolean);
    expect(fired).toHaveLength(1);
    for (let i = 0; i < 24; i++) expect(observeShift(t, input(130))).toBeNull();
    const floored = createShift();
    const out = Array.from({ length: 10 }, () => observeShift(floored, input(130, { minExcess: 200 })));
    // 30 over expected per bucket: the sum reaches the decision at 6 buckets, the total reaches 200 at 7.
    expect(out.findIndex((v) => v !== null)).toBe(6);
  });
});

describe('through the series scorer', () => {
  it('a level shift of 3.5 spreads (the spread floor is 10 here) that no point crosses is found within 12 points', () => {
    const rng = new Rng(31);
    const s = createSeriesScorer();
    for (let i = 0; i < 300; i++) s.score(i, 100 + rng.normal(0, 4));
    const after: number[] = [];
    for (let i = 300; i < 320; i++) after.push(s.score(i, 135 + rng.normal(0, 4)));
    expect(after.findIndex((x) => x >= 0.5)).toBeGreaterThanOrEqual(0);
    expect(after.findIndex((x) => x >= 0.5)).toBeLessThan(12);
  });

  it('a steady noisy series declares nothing for a week of points', () => {
    const rng = new Rng(32);
    const s = createSeriesScorer();
    let alerts = 0;
    for (let i = 0; i < 2016; i++) if (s.score(i, 100 + rng.normal(0, 8)) >= 0.5 && i > 24) alerts++;
    expect(alerts).toBe(0);
  });
});

describe('through the engine', () => {
  const history = () => stream({ to: T0 + 2 * DAY_MS, perBucket: 8, seed: 41 });

  it('egress paced under the per-bucket threshold for hours raises a bytes-out alert naming its horizon', () => {
    const start = T0 + 2 * DAY_MS;
    const normal = stream({ from: start, to: start + 8 * HOUR_MS, perBucket: 8, seed: 42 });
    // Two extra uploads per bucket: the bucket's bytes out about 2.4x the usual, far under its spike threshold (~8x here).
    const extra = [];
    for (let b = start + HOUR_MS; b < start + 7 * HOUR_MS; b += BUCKET_MS) {
      for (const k of [0.3, 0.7]) extra.push(event({ timestamp: b + k * BUCKET_MS, action: 'api.request', resource: 'crm.orders', bytesOut: 15_000, seq: 0 }));
    }
    const { alerts } = run(renumber(merge(history(), normal, extra)));
    const bytes = only(alerts, 'volume-spike.bytes-out');
    expect(bytes.length).toBeGreaterThanOrEqual(1);
    const first = bytes[0]!;
    expect(Number(first.evidence.details.horizonBuckets)).toBeGreaterThanOrEqual(2);
    expect(first.evidence.metric).toContain('summed over');
    expect(first.title).toContain('sustained rise');
  });

  it('the same stream without the extra uploads raises no bytes-out alert', () => {
    const start = T0 + 2 * DAY_MS;
    const normal = stream({ from: start, to: start + 8 * HOUR_MS, perBucket: 8, seed: 42 });
    const { alerts } = run(renumber(merge(history(), normal)));
    expect(only(alerts, 'volume-spike.bytes-out')).toHaveLength(0);
  });
});

describe('snapshots', () => {
  it('a version-2 series snapshot (before the shift tracker) is migrated with an empty tracker, and behaves like a fresh one', async () => {
    const { snapshotSeries, restoreSeries } = await import('../../../shared/detection/baseline/seriesCodec.js');
    const { createSeries } = await import('../../../shared/detection/baseline/series.js');
    const { spikeParams } = await import('../../../shared/detection/detectors/common.js');
    const { DEFAULT_RULES } = await import('../../../shared/detection/index.js');
    const p = spikeParams(DEFAULT_RULES, 'volume-spike.records', { poisson: false, absSpreadFloor: 1 });
    const current = snapshotSeries(createSeries(p, 7)) as Record<string, unknown>;
    const { shift, ...older } = current;
    expect(shift).toBeDefined();
    const migrated = restoreSeries({ ...(older as Record<string, never>), version: 2 }, p);
    expect(migrated.shift).toEqual(createSeries(p, 7).shift);
    expect(() => restoreSeries({ ...(older as Record<string, never>), version: 1 }, p)).toThrow(/not supported/);
  });
});
