import { describe, expect, it } from 'vitest';
import { BUCKET_MS, DAY_MS, T0, only, run, stream } from './helpers.js';

describe('slow-ramp', () => {
  const level = 30;
  const rampStart = T0 + 3 * DAY_MS + 10 * 3_600_000;
  const ramp = (ts: number) => (ts < rampStart ? level : level * 1.05 ** Math.floor((ts - rampStart) / BUCKET_MS));

  it('catches a +5%/bucket ramp before it doubles the rolling baseline (14.2 + 12 buckets)', () => {
    const { alerts, at } = run(stream({ to: rampStart + 40 * BUCKET_MS, perBucket: ramp }));
    const ramps = only(alerts, 'slow-ramp.rate');
    expect(ramps.length).toBeGreaterThan(0);
    const bucketsIn = Math.floor(at[alerts.indexOf(ramps[0]!)]! / BUCKET_MS) - Math.floor(rampStart / BUCKET_MS);
    expect(bucketsIn).toBeGreaterThan(0);
    expect(bucketsIn).toBeLessThan(26);
    // The spike detectors alone would not have caught it by then.
    expect(only(alerts, 'rate-spike').filter((a) => a.firstSeen < rampStart + bucketsIn * BUCKET_MS)).toEqual([]);
  });

  it('a flat agent raises no ramp', () => {
    const { alerts } = run(stream({ to: T0 + 5 * DAY_MS, perBucket: level }));
    expect(only(alerts, 'slow-ramp')).toEqual([]);
  });
});
