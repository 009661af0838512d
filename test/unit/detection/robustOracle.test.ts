/**
 * simple-statistics as the oracle for our robust kernels. The hot path keeps
 * its own typed-array kernels (a ring sorted into a scratch array once per
 * bucket: median and quartiles in O(1), MAD in O(n), no allocation per
 * bucket; see shared/detection/README.md); here a well-kept library checks that they
 * compute the textbook statistics, on random windows (fast-check).
 */
import fc from 'fast-check';
import * as ss from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { halfIqrSorted, insertSorted, madSorted, medianSorted, poissonTail, roundSig } from '../../../shared/detection/baseline/robust.js';
import { createWindow, pushWindow, windowHalfIqr, windowMad, windowMean, windowMedian, windowStd, windowValues } from '../../../shared/detection/baseline/window.js';

/**
 * Bucket values as the baselines learn them (rounded to 4 decimals, robust.ts roundSig): counts (many ties and
 * zeros), byte volumes, and decimals of the size the float32 window returns exactly (|value| < 1,024; 1024.0003 is the first value it does not).
 */
const bucketValue = fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 2 ** 24 }), fc.double({ min: -1023, max: 1023, noNaN: true, noDefaultInfinity: true }).map((v) => roundSig(v) + 0)); // + 0: no -0 (its order against 0 is arbitrary in a sort)
const values = fc.array(bucketValue, { minLength: 1, maxLength: 80 });

const close = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));

describe('robust kernels against simple-statistics', () => {
  it('rolling window (with eviction): median, MAD, mean and population std of its last values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), values, (capacity, xs) => {
        const w = createWindow(capacity);
        for (const x of xs) pushWindow(w, x);
        const kept = xs.slice(-capacity);
        expect(windowValues(w)).toEqual(kept);
        const median = windowMedian(w);
        close(median, ss.median(kept));
        close(windowMad(w, median), ss.medianAbsoluteDeviation(kept));
        const mean = windowMean(w);
        close(mean, ss.mean(kept));
        close(windowStd(w, mean), ss.standardDeviation(kept));
      }),
      { numRuns: 300 },
    );
  });

  it('float32 window: large values with decimals come back within float32 precision (6e-8) plus the 4-decimal rounding of the read', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true }).map(roundSig), { minLength: 1, maxLength: 30 }), (xs) => {
        const w = createWindow(xs.length);
        for (const x of xs) pushWindow(w, x);
        windowValues(w).forEach((v, i) => expect(Math.abs(v - xs[i]!)).toBeLessThanOrEqual(6e-8 * Math.abs(xs[i]!) + 5e-5));
      }),
      { numRuns: 300 },
    );
  });

  it('sorted-array kernels: median and MAD equal simple-statistics; the half-IQR is the outer-rank one', () => {
    fc.assert(
      fc.property(values, (xs) => {
        const sorted: number[] = [];
        for (const x of xs) insertSorted(sorted, x);
        const median = medianSorted(sorted);
        close(median, ss.median(xs));
        close(madSorted(sorted, median), ss.medianAbsoluteDeviation(xs));
        // Our quartiles round outwards (upper up, lower down), so the spread is never narrower than
        // simple-statistics' interquartile range, and never wider than the range.
        const half = halfIqrSorted(sorted);
        if (xs.length >= 2) {
          expect(2 * half).toBeGreaterThanOrEqual(ss.interquartileRange(xs) - 1e-9 * Math.max(1, Math.abs(ss.interquartileRange(xs))));
          expect(2 * half).toBeLessThanOrEqual(ss.max(xs) - ss.min(xs));
        } else expect(half).toBe(0);
        const w = createWindow(xs.length);
        for (const x of xs) pushWindow(w, x);
        expect(windowHalfIqr(w)).toBe(half);
      }),
      { numRuns: 300 },
    );
  });

  it('Poisson tail P(X >= k) equals one minus simple-statistics\' Poisson cells below k', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 60, noNaN: true }), fc.integer({ min: 0, max: 120 }), (lambda, k) => {
        const cells = ss.poissonDistribution(lambda)!;
        fc.pre(k < cells.length);
        const below = cells.slice(0, k).reduce((a, b) => a + b, 0);
        expect(Math.abs(poissonTail(k, lambda) - Math.max(0, 1 - below))).toBeLessThanOrEqual(1e-9);
      }),
      { numRuns: 300 },
    );
  });
});
