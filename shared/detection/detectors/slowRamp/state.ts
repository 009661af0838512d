/**
 * One agent's slow-ramp state: the count series and one size series per metric. Each series keeps
 * its numbers in one typed array (every typed array costs ~200 B of bookkeeping besides its
 * values), laid out by the offsets below; scalars are named fields. The count series' array is
 * float32 (its values are rounded, like the spike series' windows); a size series' is float64 (its
 * open-bucket sums are not rounded).
 */
import type { DriftState } from '../../baseline/drift.js';
import { SEASON_SLOTS } from '../../baseline/seasonal.js';

/** Count series (slow-ramp.rate), where each part of its array starts. */
export const PROFILE_MEANS = 0;
export const PROFILE_COUNTS = SEASON_SLOTS;
export const UPPER_SEMIVARIANCES = 2 * SEASON_SLOTS;
export const DELAY_LINE = 3 * SEASON_SLOTS;
/** Buckets between a count and its entry into the hour profile (the delay line's length). */
export const PROFILE_DELAY = 24;
export const RATE_DATA_LENGTH = DELAY_LINE + PROFILE_DELAY;

export interface RateSeries {
  /**
   * [PROFILE_MEANS, +48): expected count per slot (hour of day x weekday / weekend, EWMA);
   * [PROFILE_COUNTS, +48): samples per slot (capped); [UPPER_SEMIVARIANCES, +48): how far above its
   * profile the slot normally goes (upper semivariance of the log-residual); [DELAY_LINE, +24): the
   * counts waiting to enter the profile (a ring, physical order). Float32: means and semivariances are learned
   * through roundSig and read back through it (rateSeries.ts `learned`), counts are integers.
   */
  data: Float32Array;
  /** Events in the open bucket. */
  openCount: number;
  /** Counts in the delay line (it fills up before it turns into a ring), and its next read and write. */
  delayFill: number;
  delayHead: number;
  /** Variance of the log-residual beyond Poisson, learned in flat active hours. */
  overDispersion: number;
  /** The busiest slot's expected count, cached for the hour of event time it was computed in (-1: none). */
  peakLevel: number;
  peakHour: number;
  drift: DriftState;
  /**
   * A new normal: buckets of the stretch after the last alarm counted so far (0: none pending; only buckets
   * judged against their own hour's profile count), and the counts and that profile summed over the
   * stretch's first and last hour (is the level still up at its end, and does it hold?).
   */
  acceptRun: number;
  acceptEarlyCount: number;
  acceptEarlyExpected: number;
  acceptLateCount: number;
  acceptLateExpected: number;
}

/** The new-normal fields of a series with no stretch pending. */
export const NO_PENDING_ACCEPT: Readonly<Pick<RateSeries, 'acceptRun' | 'acceptEarlyCount' | 'acceptEarlyExpected' | 'acceptLateCount' | 'acceptLateExpected'>> = { acceptRun: 0, acceptEarlyCount: 0, acceptEarlyExpected: 0, acceptLateCount: 0, acceptLateExpected: 0 };

export const SIZE_METRICS = ['records', 'bytesOut', 'tokens'] as const;

/**
 * Size series (slow-ramp.volume), where each part of its float32 array starts: five per-hour-of-day parts, then one
 * block per action; the open bucket's residual sums (not rounded) are in a float64 array beside it.
 */
export const HOURS = 24;
export const HOUR_MEANS = 0;
export const HOUR_SQUARES = HOURS;
export const HOUR_COUNTS = 2 * HOURS;
export const NEXT_HOUR_MEANS = 3 * HOURS;
export const NEXT_HOUR_SQUARES = 4 * HOURS;
export const ACTION_BLOCKS = 5 * HOURS;
/** Inside an action's block of `data`. */
export const ACTION_LOG_MEAN = 0;
export const ACTION_LOG_VARIANCE = 1;
export const ACTION_SAMPLES = 2;
export const BUCKET_EVENTS = 3;
export const ACTION_FIELDS = 4;
/** Inside an action's block of `sums`. */
export const BUCKET_RESIDUAL_SUM = 0;
export const BUCKET_RESIDUAL_SQUARES = 1;
export const SUM_FIELDS = 2;

export interface SizeSeries {
  /**
   * Per hour of day, learned once per hour from that hour's buckets (EWMA over days):
   * [HOUR_MEANS, +24) mean bucket residual, [HOUR_SQUARES, +24) mean of (residual^2 - its sampling
   * variance), [HOUR_COUNTS, +24) hours learned. What is learned today goes to [NEXT_HOUR_MEANS, +24)
   * and [NEXT_HOUR_SQUARES, +24) and is used from tomorrow on: a ramp cannot become today's reference.
   * From ACTION_BLOCKS, ACTION_FIELDS per action (index into RampState.actions; only up to the
   * highest action this metric has seen): the mean and variance of log(value), samples (capped),
   * and the open bucket's events of the action. Float32: every value is an integer or learned through
   * roundSig and read back through it (sizeSeries.ts `learned`; log sizes and residuals, far below 1,024).
   */
  data: Float32Array;
  /** SUM_FIELDS per action: the sum and the sum of squares of the open bucket's (clipped) residuals (float64: not rounded). */
  sums: Float64Array;
  /** Open bucket: sum of precision-weighted log-size residuals, sum of precisions, sum of values. */
  openWeightedResidual: number;
  openPrecision: number;
  openTotal: number;
  /** The hour being accumulated (local hours since the epoch; -1: none), its buckets, sums of residual and of residual^2 - sampling variance, and whether the series alarmed in it (0/1). */
  hourOpen: number;
  hourBuckets: number;
  hourResidualSum: number;
  hourSquareSum: number;
  hourAlarmed: number;
  drift: DriftState;
}

export interface RampState {
  openBucket: number;
  /** Actions seen (the last slot folds the rest into "(other)"). */
  actions: string[];
  /** null when slow-ramp.rate is disabled. */
  rate: RateSeries | null;
  /** Per SIZE_METRICS; null until the metric's first value (an agent that never sends tokens pays nothing for them). */
  sizes: [SizeSeries | null, SizeSeries | null, SizeSeries | null];
  /**
   * Buckets in each size series' drift ring (the closed buckets, at most the window): a series
   * created late starts with that many empty buckets, exactly as if it had been kept all along.
   */
  sizeTrendLength: number;
}

/** Action slots a size series' array holds. */
export function actionSlots(series: SizeSeries): number {
  return (series.data.length - ACTION_BLOCKS) / ACTION_FIELDS;
}
