/**
 * The single-event guard of the volume rules (baseline/series.ts thresholdNow): one ordinary large event is not
 * a spike, but a pull split into many ordinary-sized pages that add up to one is. Before, the guard added
 * 1.5 x the largest ordinary single value to every bucket's threshold, so a bulk read paged into a dozen
 * reads, 1.4 times the week's largest in all, stayed under it.
 */
import { describe, expect, it } from 'vitest';
import { DAY_MS, T0, event, merge, only, renumber, run, stream } from './helpers.js';
import { addValue, createSeries, touch } from '../../../shared/detection/baseline/series.js';
import { restoreSeries, snapshotSeries } from '../../../shared/detection/baseline/seriesCodec.js';
import { spikeParams } from '../../../shared/detection/detectors/common.js';
import { DEFAULT_RULES } from '../../../shared/detection/index.js';
import { UTC } from '../../../shared/detection/timeZone.js';
import type { Json } from '../../../shared/detection/types.js';

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

  it('only a guarded (volume) series keeps single-event state, and it survives a snapshot; a count series writes zeros', () => {
    const volume = spikeParams(DEFAULT_RULES, 'volume-spike.records', { poisson: false, absSpreadFloor: 1, singleEventGuard: true });
    const counts = spikeParams(DEFAULT_RULES, 'rate-spike.action', { poisson: true, absSpreadFloor: 1 });
    const guarded = createSeries(volume, 0);
    const plain = createSeries(counts, 0);
    expect(plain.single).toBeNull();
    touch(guarded, volume, 1, null, UTC);
    for (const v of [12, 700, 30]) addValue(guarded, v);
    expect(guarded.single).toMatchObject({ openLargest: 700, sizeSamples: 3 });
    const restored = restoreSeries(JSON.parse(JSON.stringify(snapshotSeries(guarded))) as Json, volume);
    expect(restored.single).toEqual(guarded.single);
    touch(plain, counts, 1, null, UTC);
    addValue(plain, 5);
    expect(plain.single).toBeNull();
    expect(snapshotSeries(plain)).toMatchObject({ openLargest: 0, openOrdinary: 0, sizeSamples: 0 });
  });
});
