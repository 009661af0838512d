/**
 * No baseline locks at zero (issue 10, cause 3): the old scorer's spread floor
 * was 0.1 x 0 once its window filled with zeros, its learning was capped at
 * expected + 3 x 1e-9, and every later normal value scored >= 0.5.
 */
import { describe, expect, it } from 'vitest';
import { createSeriesScorer } from '../../../shared/detection/index.js';
import { Rng } from '../../../cli/simulate/scenario/prng.js';

const WARMUP = 12;

describe('series baseline after a stretch of zeros', () => {
  it('a series at zero for 100 buckets that returns to normal raises no alert once its warm-up has passed', () => {
    const rng = new Rng(21);
    const s = createSeriesScorer({ warmup: WARMUP, windowSize: 24 });
    for (let i = 0; i < 100; i++) s.score(i, 0);
    const late: number[] = [];
    for (let i = 100; i < 400; i++) {
      const score = s.score(i, 100 + rng.normal(0, 8));
      if (i >= 100 + WARMUP) late.push(score);
    }
    expect(Math.max(...late)).toBeLessThan(0.5);
  });

  it('a normal series that goes silent for 100 buckets recovers: alerts stop within two windows of its return', () => {
    const rng = new Rng(22);
    const s = createSeriesScorer({ warmup: WARMUP, windowSize: 24 });
    for (let i = 0; i < 200; i++) s.score(i, 100 + rng.normal(0, 8));
    const drop = s.score(200, 0);
    for (let i = 201; i < 300; i++) s.score(i, 0);
    const after: number[] = [];
    for (let i = 300; i < 600; i++) after.push(s.score(i, 100 + rng.normal(0, 8)));
    expect(drop).toBeGreaterThanOrEqual(0.5); // the silence itself is a (downward) anomaly
    expect(Math.max(...after.slice(48))).toBeLessThan(0.5);
  });

  it('still sees a spike after the recovery', () => {
    const rng = new Rng(23);
    const s = createSeriesScorer({ warmup: WARMUP, windowSize: 24 });
    for (let i = 0; i < 100; i++) s.score(i, 0);
    for (let i = 100; i < 300; i++) s.score(i, 100 + rng.normal(0, 8));
    expect(s.score(300, 1000)).toBeGreaterThanOrEqual(0.5);
  });
});
