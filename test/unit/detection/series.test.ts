import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSeriesScorer } from '../../../shared/detection/index.js';
import { halfIqrSorted, insertSorted, madSorted, medianSorted, poissonTail, removeSorted } from '../../../shared/detection/baseline/robust.js';
import { Rng } from '../../../cli/simulate/scenario/prng.js';

describe('robust kernels', () => {
  it('median and MAD match a sort-based reference; the sorted window stays sorted', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 60 }), (values) => {
        const sorted: number[] = [];
        for (const v of values) insertSorted(sorted, v);
        const ref = [...values].sort((a, b) => a - b);
        expect(sorted).toEqual(ref);
        const n = ref.length;
        const med = n % 2 ? ref[n >> 1]! : (ref[n / 2 - 1]! + ref[n / 2]!) / 2;
        expect(medianSorted(sorted)).toBe(med);
        const dev = ref.map((v) => Math.abs(v - med)).sort((a, b) => a - b);
        const mad = n % 2 ? dev[n >> 1]! : (dev[n / 2 - 1]! + dev[n / 2]!) / 2;
        expect(madSorted(sorted, med)).toBeCloseTo(mad, 9);
        expect(halfIqrSorted(sorted)).toBeGreaterThanOrEqual(0);
        removeSorted(sorted, values[0]!);
        expect(sorted.length).toBe(n - 1);
      }),
    );
  });

  it('Poisson tail', () => {
    expect(poissonTail(0, 3)).toBe(1);
    expect(poissonTail(1, 2)).toBeCloseTo(1 - Math.exp(-2), 12);
    expect(poissonTail(10, 1)).toBeLessThan(1e-6);
  });
});

describe('createSeriesScorer (plain numeric series)', () => {
  const rng = new Rng(3);
  const normal = () => 100 + rng.normal(0, 8);

  it('scores 0 while warming up, low on normal points, >= 0.5 on a 10x spike', () => {
    const s = createSeriesScorer({ warmup: 12, windowSize: 24 });
    for (let i = 0; i < 12; i++) expect(s.score(i * 60_000, normal())).toBe(0);
    let maxNormal = 0;
    for (let i = 12; i < 200; i++) maxNormal = Math.max(maxNormal, s.score(i * 60_000, normal()));
    expect(maxNormal).toBeLessThan(0.5);
    expect(s.score(200 * 60_000, 1000)).toBeGreaterThan(0.7);
  });

  it('resists poisoning: a long run of spikes is learned capped, a later spike still scores', () => {
    const s = createSeriesScorer({ warmup: 12, windowSize: 24 });
    for (let i = 0; i < 50; i++) s.score(i, normal());
    const scores: number[] = [];
    for (let i = 50; i < 56; i++) scores.push(s.score(i, 1000));
    expect(scores.every((x) => x >= 0.5)).toBe(true);
  });

  it('bucket mode sums values per event-time bucket and scores the bucket so far', () => {
    const s = createSeriesScorer({ bucketMs: 60_000, counts: true, warmup: 10 });
    for (let m = 0; m < 30; m++) for (let k = 0; k < 10; k++) s.score(m * 60_000 + k * 1000, 1);
    let last = 0;
    for (let k = 0; k < 100; k++) last = s.score(30 * 60_000 + k * 100, 1);
    expect(last).toBeGreaterThan(0.5);
    expect(s.observations).toBe(30);
    expect(() => JSON.stringify(s.snapshot())).not.toThrow();
  });

  it('ignores non-finite values', () => {
    const s = createSeriesScorer();
    expect(s.score(0, Number.NaN)).toBe(0);
    expect(s.score(0, Infinity)).toBe(0);
  });
});
