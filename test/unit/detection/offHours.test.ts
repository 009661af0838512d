import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, T0, event, merge, only, renumber, run, stream } from './helpers.js';

const officeHours = (ts: number) => {
  const h = (ts % DAY_MS) / HOUR_MS;
  return h >= 9 && h < 17 ? 10 : 0.02;
};

describe('off-hours', () => {
  it('activity at 03:00 for an office-hours agent alerts after learning, not during it', () => {
    const base = stream({ to: T0 + 3 * DAY_MS, perBucket: officeHours });
    const night = (day: number, hour: number) => Array.from({ length: 15 }, (_, i) => event({ timestamp: T0 + day * DAY_MS + hour * HOUR_MS + i * 30_000 }));
    const { alerts } = run(renumber(merge(base, night(0, 1), night(2, 3))));
    const off = only(alerts, 'off-hours');
    // One incident: raised once, then a final update with its count when it closes.
    expect(new Set(off.map((a) => a.alertId)).size).toBe(1);
    expect(off.at(-1)!.count).toBeGreaterThanOrEqual(off[0]!.count);
    expect(off[0]!.firstSeen).toBeGreaterThanOrEqual(T0 + 2 * DAY_MS + 3 * HOUR_MS);
    expect(off[0]!.evidence.details.localTime).toBe('Wed 03:00');
  });

  it('ordinary office hours raise nothing', () => {
    const { alerts } = run(renumber(stream({ to: T0 + 4 * DAY_MS, perBucket: officeHours })));
    expect(only(alerts, 'off-hours')).toEqual([]);
  });
});
