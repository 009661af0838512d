/**
 * A variance rise (baseline/variance.ts): the noise of a series triples while its level stays. Few single
 * points cross a level threshold and the excursions fall on both sides, so neither the spike rule nor the
 * level CUSUM adds up; the squared-residual CUSUM does, within a dozen points. A single spike alone does not
 * fire it, and steady noise does not.
 */
import { describe, expect, it } from 'vitest';
import { createSeriesScorer } from '../../../shared/detection/index.js';
import { Rng } from '../../../cli/simulate/scenario/prng.js';

function run(varianceTest: boolean, seed: number): { quiet: number; rise: number } {
  const rng = new Rng(seed);
  const s = createSeriesScorer({ varianceTest });
  let quiet = 0;
  for (let i = 0; i < 400; i++) {
    const score = s.score(i, 500 + rng.normal(0, 10));
    if (i >= 12) quiet = Math.max(quiet, score);
  }
  let rise = 0;
  for (let i = 400; i < 412; i++) rise = Math.max(rise, s.score(i, 500 + rng.normal(0, 30)));
  return { quiet, rise };
}

describe('variance rise', () => {
  it('noise x3 at the same level scores >= 0.5 within 12 points; steady noise never does', () => {
    const on = run(true, 43);
    expect(on.quiet).toBeLessThan(0.5);
    expect(on.rise).toBeGreaterThanOrEqual(0.5);
    // The same stream without the variance test: no single point of it crosses a level threshold.
    expect(run(false, 43).rise).toBeLessThan(0.5);
  });

  it('one spike alone does not fire it', () => {
    const rng = new Rng(43);
    const s = createSeriesScorer({ z: 50 }); // level thresholds out of reach: only the variance test could fire
    for (let i = 0; i < 300; i++) s.score(i, 500 + rng.normal(0, 10));
    let after = 0;
    s.score(300, 800);
    for (let i = 301; i < 340; i++) after = Math.max(after, s.score(i, 500 + rng.normal(0, 10)));
    expect(after).toBeLessThan(0.5);
  });
});
