/**
 * Baseline arenas (baseline/arena.ts): series that share one typed array for
 * their windows and profiles must behave exactly like series with arrays of
 * their own, although the arena grows (and moves) each time one of them
 * builds its baselines, and after a snapshot round trip into a new arena.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addValue, advance, createSeries, crossed, touch, type SeriesState } from '../../../shared/detection/baseline/series.js';
import { restoreSeries, snapshotSeries } from '../../../shared/detection/baseline/seriesCodec.js';
import { createArena, type BaselineArena } from '../../../shared/detection/baseline/arena.js';
import { spikeParams } from '../../../shared/detection/detectors/common.js';
import { UTC } from '../../../shared/detection/timeZone.js';
import { DEFAULT_RULES } from '../../../shared/detection/index.js';
import type { Json } from '../../../shared/detection/types.js';

const rateParams = spikeParams(DEFAULT_RULES, 'rate-spike.agent', { poisson: true, absSpreadFloor: 1 });
const SERIES = 4;

/** One bucket of a stream: which series get values (a series with none stays dormant until it gets one). */
const bucketValues = fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 30 }) }), { minLength: SERIES, maxLength: SERIES });

function feed(series: SeriesState[], buckets: readonly number[][], from: number): unknown[] {
  const seen: unknown[] = [];
  buckets.forEach((values, k) => {
    const bucket = from + k;
    series.forEach((st, i) => {
      if (values[i] === 0) {
        if (st.openBucket >= 0 && st.openBucket < bucket) seen.push(advance(st, rateParams, bucket, null, UTC));
        return;
      }
      seen.push(touch(st, rateParams, bucket, null, UTC));
      for (let n = 0; n < values[i]!; n++) {
        addValue(st, 1);
        seen.push(crossed(st, rateParams));
      }
      seen.push(st.upperThreshold, st.lowerThreshold, st.expectedHigh, st.spread);
    });
  });
  return seen;
}

describe('baseline arena', () => {
  it('series sharing an arena give the same verdicts, thresholds and snapshots as series with their own arrays', () => {
    fc.assert(
      fc.property(fc.array(bucketValues, { minLength: 1, maxLength: 120 }), fc.array(bucketValues, { minLength: 1, maxLength: 60 }), (first, second) => {
        const arena = createArena();
        const shared = Array.from({ length: SERIES }, () => createSeries(rateParams, 1_000, arena));
        const own = Array.from({ length: SERIES }, () => createSeries(rateParams, 1_000));
        expect(feed(shared, first, 1_001)).toEqual(feed(own, first, 1_001));
        expect(shared.map(snapshotSeries)).toEqual(own.map(snapshotSeries));
        // Every built series reads the arena's current array (a stale one would miss what was learned since).
        for (const st of shared) if (st.window) expect(st.window.data).toBe(arena.data);
        // Restored into a fresh arena, they go on alike.
        const restoredArena: BaselineArena = createArena();
        const restored = shared.map((st) => restoreSeries(JSON.parse(JSON.stringify(snapshotSeries(st))) as Json, rateParams, restoredArena));
        expect(feed(restored, second, 1_001 + first.length)).toEqual(feed(own, second, 1_001 + first.length));
        expect(restored.map(snapshotSeries)).toEqual(own.map(snapshotSeries));
      }),
      { numRuns: 100 },
    );
  });

  it('holds one array for all its series, sized to exactly what they use', () => {
    const arena = createArena();
    const series = Array.from({ length: 3 }, () => createSeries(rateParams, 0, arena));
    for (const st of series) {
      touch(st, rateParams, 1, null, UTC);
      addValue(st, 5);
      touch(st, rateParams, 2, null, UTC);
    }
    const perSeries = series[0]!.window!.capacity + 3 * 48;
    expect(arena.data.length).toBe(3 * perSeries);
    expect(new Set(series.map((st) => st.window!.data)).size).toBe(1);
    expect(series.map((st) => st.window!.base)).toEqual([0, perSeries, 2 * perSeries]);
    expect(series.map((st) => st.profileBase)).toEqual([0, perSeries, 2 * perSeries].map((base) => base + series[0]!.window!.capacity));
  });
});
