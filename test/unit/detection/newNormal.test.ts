/**
 * A legitimate new normal (issue 11): a deploy doubles an agent's workload for good. The slow-ramp detector
 * may alarm once, then must re-baseline (slowRamp/rateSeries.ts acceptNewNormal) instead of alarming day after
 * day while each hour of its profile learns the new level at the capped rate.
 */
import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, T0, only, run, stream } from './helpers.js';

/** A working day: busy 08:00-18:00 UTC, quiet at night; `factor` from `from` on. */
const shaped = (factor: number, from: number) => (ts: number): number => {
  const hour = new Date(ts).getUTCHours();
  const base = hour >= 8 && hour < 18 ? 12 : 2;
  return ts >= from ? base * factor : base;
};

/**
 * A working day that rises and falls smoothly (the morning climb takes hours, as a real one does; `peak` more
 * events at midday than at night) and starts up to an hour earlier or later from day to day: every morning's
 * climb is a slow rise, judged against an hour profile that must by then know the doubled level.
 */
const smoothDay = (peak: number, factor: number, from: number) => (ts: number): number => {
  const day = Math.floor((ts - T0) / DAY_MS);
  const shiftHours = ((day * 37) % 5) / 2 - 1;
  const hour = (ts - T0 - day * DAY_MS) / HOUR_MS - shiftHours;
  const base = 2 + peak * Math.max(0, Math.sin((Math.PI * (hour - 6)) / 14));
  return ts >= from ? base * factor : base;
};

describe('a workload that doubles for good', () => {
  it('raises at most one slow-ramp.rate alert over the four days after the change', () => {
    const change = T0 + 4 * DAY_MS + 10 * HOUR_MS;
    const { alerts } = run(stream({ to: T0 + 8 * DAY_MS, perBucket: shaped(2, change), seed: 61 }));
    const after = only(alerts, 'slow-ramp.rate').filter((a) => a.firstSeen >= change);
    expect(after.length).toBeLessThanOrEqual(1);
  });

  it('with a smooth day that shifts: one slow-ramp.rate alert (the change itself) over the three days after it, not one each morning', () => {
    // At 14:00 the stretch after the alarm runs into the evening fall and the next morning's climb, where a
    // shifted day reads far from the hour profile: the level must be measured where the profile is flat.
    const change = T0 + 3 * DAY_MS + 14 * HOUR_MS;
    for (const [peak, seed] of [[10, 71], [24, 72]] as const) {
      const { alerts } = run(stream({ to: change + 3 * DAY_MS, perBucket: smoothDay(peak, 2, change), seed }));
      const after = only(alerts, 'slow-ramp.rate').filter((a) => a.firstSeen >= change);
      expect(after.length, `peak ${peak}, seed ${seed}`).toBe(1);
    }
  });
});
