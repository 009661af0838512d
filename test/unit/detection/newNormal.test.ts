/**
 * A legitimate new normal (issue 11): a deploy doubles an agent's workload for good. The slow-ramp detector
 * may alarm once, then must re-baseline (slowRamp.ts acceptNewNormal) instead of alarming day after day while
 * each hour of its profile learns the new level at the capped rate.
 */
import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, T0, only, run, stream } from './helpers.js';

/** A working day: busy 08:00-18:00 UTC, quiet at night; `factor` from `from` on. */
const shaped = (factor: number, from: number) => (ts: number): number => {
  const hour = new Date(ts).getUTCHours();
  const base = hour >= 8 && hour < 18 ? 12 : 2;
  return ts >= from ? base * factor : base;
};

describe('a workload that doubles for good', () => {
  it('raises at most one slow-ramp.rate alert over the four days after the change', () => {
    const change = T0 + 4 * DAY_MS + 10 * HOUR_MS;
    const { alerts } = run(stream({ to: T0 + 8 * DAY_MS, perBucket: shaped(2, change), seed: 61 }));
    const after = only(alerts, 'slow-ramp.rate').filter((a) => a.firstSeen >= change);
    expect(after.length).toBeLessThanOrEqual(1);
  });
});
