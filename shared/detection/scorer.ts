/**
 * The series scorer on a plain numeric series, for tools outside the engine:
 * `createSeriesScorer(opts).score(timestampMs, value)` returns 0..1
 * (0 = normal or still warming up, 0.5 = at the alert threshold, -> 1 far
 * past it), then learns the value through the poisoning guard. Same
 * baseline as the engine (baseline/series.ts): two-sided by default
 * (`direction`), spread floored relative to the series' own scale,
 * calibrated on its own residuals, so one threshold (0.5) serves every
 * series.
 *
 * Two modes:
 *  - points (default): every call is one observation, judged at once in
 *    both directions;
 *  - buckets (`bucketMs` set): values add up per event-time bucket; the
 *    score is that of the bucket so far (upwards), and a drop is reported by
 *    the first call of a later bucket (a bucket is only known to be low once
 *    it is over).
 */
import { NOISE_FLOOR_SHARE, advance, arm, createSeries, crossed, seriesScore, type Direction, type SeriesParams, type SeriesState } from './baseline/series.js';
import { snapshotSeries } from './baseline/seriesCodec.js';
import { scoreAgainst } from './baseline/robust.js';
import type { Json } from './types.js';
import { fixedZone, parseTimeZone, type TimeZone } from './timeZone.js';

export interface SeriesScorerOptions {
  /** Sum values per bucket of this width (event time). Default: every call is its own observation. */
  bucketMs?: number;
  /** Observations in the rolling window. Default 24. */
  windowSize?: number;
  /** Observations before any score above 0. Default 12. */
  warmup?: number;
  /** Calibrated spreads beyond the expected value that make the threshold (score 0.5). Default 6. */
  z?: number;
  /**
   * The upper threshold is at least this multiple of the expected value (a drop: at most expected / minRatio).
   * Default 1 (off): a floor bound by the level misses every anomaly of a metric far from zero (a temperature
   * at 80 with a noise of 1 must not need to reach 120).
   */
  minRatio?: number;
  /** Optional absolute floor. Default 0 (off). */
  minValue?: number;
  /** Learn at most capZ spreads away from the expectation (poisoning resistance). Default 3. */
  capZ?: number;
  /** Counts: add Poisson noise (sqrt(expected)) to the spread. Default false. */
  counts?: boolean;
  /** Hour-of-day x weekday/weekend profile (needs a day of history before scoring). Default false. */
  seasonal?: boolean;
  /** Spread floor as a fraction of the series' scale (level). Default 0.01. */
  relSpreadFloor?: number;
  /** Spread floor as a share of the series' long-run noise (what keeps a flat or all-zero stretch from locking). Default 0.5. */
  noiseFloorShare?: number;
  /** Share of the window's standard deviation in the spread. Default 0.5. */
  stdShare?: number;
  /** Chance per observation at which the series' own residual tail sets the threshold (if above z). Default 1e-4. */
  tailChance?: number;
  /** Also score a variance rise (baseline/variance.ts: the noise grows 3-6x while the level stays). Default true. */
  varianceTest?: boolean;
  /** up, down or both (default). */
  direction?: Direction;
  /** Minutes east of UTC for the seasonal profile. Default 0. */
  timezoneOffsetMinutes?: number;
  /** Or a zone by name (an IANA name such as 'Asia/Tokyo', following daylight saving, or '+09:00'); wins over the offset. */
  timeZone?: string;
}

export interface SeriesScorer {
  score(timestampMs: number, value: number): number;
  /** Observations (or closed buckets) learned so far. */
  readonly observations: number;
  snapshot(): Json;
}

export function createSeriesScorer(opts: SeriesScorerOptions = {}): SeriesScorer {
  const bucketed = opts.bucketMs !== undefined;
  const windowBuckets = opts.windowSize ?? 24;
  const p: SeriesParams = {
    bucketMs: opts.bucketMs ?? 3_600_000,
    windowBuckets,
    warmupBuckets: opts.warmup ?? 12,
    capZ: opts.capZ ?? 3,
    seasonal: (opts.seasonal ?? false) && bucketed,
    seasonalAlpha: 0.1,
    seasonalMinSamples: 6,
    stdShare: opts.stdShare ?? 0.5,
    relSpreadFloor: opts.relSpreadFloor ?? 0.01,
    noiseFloorShare: opts.noiseFloorShare ?? NOISE_FLOOR_SHARE,
    // Its floors are bound by the noise already (minRatio 1, relSpreadFloor 0.01 by default): nothing to fade.
    floorsByDispersion: false,
    tailChance: opts.tailChance ?? 1e-4,
    varianceTest: opts.varianceTest ?? true,
    absSpreadFloor: 1e-9,
    poisson: opts.counts ?? false,
    direction: opts.direction ?? 'both',
    z: opts.z ?? 6,
    minRatio: opts.minRatio ?? 1,
    minValue: opts.minValue ?? 0,
    alwaysAt: Infinity,
    peerZ: 0,
    peerAlpha: 0.02,
    peerMinSamples: 1,
    maxFillBuckets: Math.max(windowBuckets, 1000),
    singleEventGuard: false,
    eventMaxDecay: 1,
    accumulation: null,
  };
  const zone: TimeZone = opts.timeZone !== undefined ? parseTimeZone(opts.timeZone) : fixedZone(opts.timezoneOffsetMinutes ?? 0);
  const st: SeriesState = createSeries(p);
  let point = 0;

  /** Points mode: the observation is the whole bucket, so a drop is known at once. */
  function pointScore(): number {
    if (st.source === 0) return 0;
    const up = seriesScore(st, p);
    const low = st.lowerThreshold >= 0 ? scoreAgainst(-st.openValue, -st.expectedLow, -st.lowerThreshold) : 0;
    // An alerting point is marked, so its calibration and its size teach nothing (the guard still clamps it).
    crossed(st, p);
    return Math.min(1, Math.max(0, up, low));
  }

  return {
    score(timestampMs: number, value: number): number {
      if (!Number.isFinite(value)) return 0;
      if (!bucketed) {
        // Closing the previous point may declare a sustained shift (known once that point is learned).
        const shiftScore = advance(st, p, point++, null, zone)?.score ?? 0;
        arm(st, p, null, zone);
        st.openValue = value;
        return Math.max(pointScore(), shiftScore);
      }
      const bucket = Math.floor(timestampMs / p.bucketMs);
      let dropScore = 0;
      if (st.openBucket !== bucket) {
        if (bucket < st.openBucket) return Math.min(1, Math.max(0, seriesScore(st, p))); // late value: counted nowhere
        dropScore = advance(st, p, bucket, null, zone)?.score ?? 0;
      }
      if (st.upperThreshold === -1) arm(st, p, null, zone);
      st.openValue += value;
      crossed(st, p);
      return Math.min(1, Math.max(0, seriesScore(st, p), dropScore));
    },
    get observations() {
      return st.closedBuckets;
    },
    snapshot: () => snapshotSeries(st),
  };
}
