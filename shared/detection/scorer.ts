/**
 * The spike scorer on a plain numeric series, for tools outside the engine:
 * `createSeriesScorer(opts).score(timestampMs, value)` returns 0..1
 * (0 = normal or still warming up, 0.5 = at the alert threshold, -> 1 far
 * above it), then learns the value (capped, like the engine).
 * Same baseline as the engine (baseline/series.ts): rolling median/MAD and
 * mean/std, optional hour-of-day x weekday/weekend profile.
 *
 * Two modes:
 *  - points (default): every call is one observation;
 *  - buckets (`bucketMs` set): values add up per event-time bucket, and the
 *    score is that of the bucket so far (a bucket is learned when a later
 *    one starts).
 */
import { advance, arm, createSeries, snapshotSeries, type SeriesParams, type SeriesState } from './baseline/series.js';
import { scoreAgainst } from './baseline/robust.js';
import type { Json } from './types.js';

export interface SeriesScorerOptions {
  /** Sum values per bucket of this width (event time). Default: every call is its own observation. */
  bucketMs?: number;
  /** Observations in the rolling window. Default 24. */
  windowSize?: number;
  /** Observations before any score above 0. Default 12. */
  warmup?: number;
  /** Spreads above the expected value that make the threshold (score 0.5). Default 6. */
  z?: number;
  /** The threshold is at least this multiple of the expected value. Default 3. */
  minRatio?: number;
  /** The threshold is at least this. Default 0. */
  minValue?: number;
  /** Learn at most expected + capZ x spread (poisoning resistance). Default 3. */
  capZ?: number;
  /** Counts: add Poisson noise (sqrt(expected)) to the spread. Default false. */
  counts?: boolean;
  /** Hour-of-day x weekday/weekend profile (needs a day of history before scoring). Default false. */
  seasonal?: boolean;
  /** Spread floor as a fraction of the expected value. Default 0.1. */
  relSpreadFloor?: number;
  /** Share of the window's standard deviation in the spread. Default 0.5. */
  stdShare?: number;
  /** Minutes east of UTC for the seasonal profile. Default 0. */
  timezoneOffsetMinutes?: number;
}

export interface SeriesScorer {
  score(timestampMs: number, value: number): number;
  /** Observations (or closed buckets) learned so far. */
  readonly observations: number;
  snapshot(): Json;
}

export function createSeriesScorer(opts: SeriesScorerOptions = {}): SeriesScorer {
  const bucketed = opts.bucketMs !== undefined;
  const p: SeriesParams = {
    bucketMs: opts.bucketMs ?? 3_600_000,
    tzOffsetMs: (opts.timezoneOffsetMinutes ?? 0) * 60_000,
    windowBuckets: opts.windowSize ?? 24,
    warmupBuckets: opts.warmup ?? 12,
    capZ: opts.capZ ?? 3,
    seasonal: (opts.seasonal ?? false) && bucketed,
    seasonalAlpha: 0.1,
    seasonalMinSamples: 6,
    stdShare: opts.stdShare ?? 0.5,
    relSpreadFloor: opts.relSpreadFloor ?? 0.1,
    absSpreadFloor: 1e-9,
    poisson: opts.counts ?? false,
    z: opts.z ?? 6,
    minRatio: opts.minRatio ?? 3,
    minValue: opts.minValue ?? 0,
    alwaysAt: Infinity,
    peerZ: 0,
    peerAlpha: 0.02,
    peerMinSamples: 1,
    maxFillBuckets: Math.max(opts.windowSize ?? 24, 1000),
    eventMaxFactor: 0,
    eventMaxDecay: 1,
  };
  const st: SeriesState = createSeries(p);
  let point = 0;

  function current(): number {
    if (st.t <= 0) return 0;
    return Math.min(1, Math.max(0, scoreAgainst(st.x, st.e, st.t)));
  }

  return {
    score(timestampMs: number, value: number): number {
      if (!Number.isFinite(value)) return 0;
      const bucket = bucketed ? Math.floor(timestampMs / p.bucketMs) : point++;
      if (st.b !== bucket) {
        if (bucket < st.b) return current(); // late value: counted nowhere, scored as the open bucket
        advance(st, p, bucket, null);
      }
      if (st.t === -1) arm(st, p, null);
      st.x += value;
      return current();
    },
    get observations() {
      return st.n;
    },
    snapshot: () => snapshotSeries(st),
  };
}
