/**
 * The single-event guard of the volume rules (baseline/series.ts thresholdNow): one ordinary large event is not
 * a spike, but a pull split into many ordinary-sized pages that add up to one is. Before, the guard added
 * 1.5 x the largest ordinary single value to every bucket's threshold, so a bulk read paged into a dozen
 * reads, 1.4 times the week's largest in all, stayed under it.
 */
import { describe, expect, it } from 'vitest';
import { DAY_MS, T0, event, merge, only, renumber, run, stream } from './helpers.js';

const START = T0 + 2 * DAY_MS;
// Heavy-tailed history: a few large exports of 5,000 records a day among ~10-record reads.
const history = () =>
  stream({ to: START, perBucket: 6, seed: 51, with: (rng) => (rng.chance(0.002) ? { records: 5_000 } : {}) });

describe('single-event guard', () => {
  it('one ordinary large event (the size of the largest of the week) raises no records alert', () => {
    const { alerts } = run(renumber(merge(history(), [event({ timestamp: START + 60_000, action: 'data.read', records: 5_000, seq: 0 })])));
    expect(only(alerts, 'volume-spike.records')).toHaveLength(0);
  });

  it('a bulk read paged into 10 ordinary-sized reads (1.4x the largest single read of the week in all, ~100x a usual bucket) alerts', () => {
    const pages = Array.from({ length: 10 }, (_, i) => event({ timestamp: START + 10_000 + i * 15_000, action: 'data.read', resource: 'crm.orders', records: 700, seq: 0 }));
    const { alerts } = run(renumber(merge(history(), pages)));
    expect(only(alerts, 'volume-spike.records').length).toBeGreaterThanOrEqual(1);
  });
});
