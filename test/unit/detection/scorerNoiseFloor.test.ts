/**
 * The plain-series scorer judges a metric in its own noise, not in % of its level (issue 10, cause 2):
 * a temperature at 1,000 with a noise of 10 that jumps by 100 is a 10-sd event, which the old defaults
 * (threshold >= 1.5 x the level, spread >= 10% of the level) needed to reach +500 or more to see.
 * And a flat stretch keeps the noise the series had (`noiseFloorShare`), so an ordinary wiggle after it
 * is not an alert.
 */
import { describe, expect, it } from 'vitest';
import { createSeriesScorer } from '../../../shared/detection/index.js';
import { Rng } from '../../../cli/simulate/scenario/prng.js';

describe('series scorer floors bound by the noise', () => {
  it('a 10-sd spike and a 10-sd dip on a metric far from zero score >= 0.5; ordinary points do not', () => {
    const rng = new Rng(31);
    const s = createSeriesScorer();
    const normal: number[] = [];
    for (let i = 0; i < 300; i++) {
      const score = s.score(i, 1000 + rng.normal(0, 10));
      if (i >= 12) normal.push(score);
    }
    expect(Math.max(...normal)).toBeLessThan(0.5);
    expect(s.score(300, 1100)).toBeGreaterThanOrEqual(0.5);
    for (let i = 301; i < 320; i++) s.score(i, 1000 + rng.normal(0, 10));
    expect(s.score(320, 900)).toBeGreaterThanOrEqual(0.5);
  });

  it('after a flat stretch, a 1-sd wiggle is not an alert (the long-run noise floors the spread)', () => {
    const rng = new Rng(32);
    const s = createSeriesScorer();
    for (let i = 0; i < 300; i++) s.score(i, 100 + rng.normal(0, 10));
    // A stuck sensor: the window's own spread falls to 0, the level floor (1% of 100) would make it 1.
    for (let i = 300; i < 360; i++) s.score(i, 100);
    expect(s.score(360, 110)).toBeLessThan(0.5);
    // ...while a real jump still is.
    expect(s.score(361, 160)).toBeGreaterThanOrEqual(0.5);
  });
});
