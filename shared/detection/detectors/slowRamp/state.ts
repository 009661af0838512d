/**
 * One agent's slow-ramp state: the count series and one size series per metric. Numbers live in
 * typed arrays (every typed array costs ~200 B of bookkeeping besides its values), laid out by the
 * offsets below; scalars are named fields. The count series' array and the size series' hour parts
 * are float32 (their values are rounded, like the spike series' windows); the size models that
 * every event reads are one float64 array for all three metrics (open-bucket sums are not rounded).
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
 * Size series (slow-ramp.volume). What every event reads and writes (the size model of its action, the open bucket's
 * sums) is kept apart from what only a bucket's close reads (the hour-of-day parts, the drift ring): the first for
 * all three metrics in one float64 array on RampState (`sizeModels`), the second in each metric's SizeSeries. With
 * thousands of agents no agent's state stays in the CPU's caches, and each separate object an event touches is
 * a wait on memory: with a series object, a float32 array and a float64 array per metric, slow-ramp alone cost
 * 6.3-6.6 µs per event at 2,000 warm agents, 0.9-1.0 with this layout (a scratch harness, 2026-12-07;
 * bench/engine.ts's warm workload measures the whole engine).
 *
 * `sizeModels` layout. Header, METRIC_HEAD fields per metric (SIZE_METRICS order): the open bucket's sum of
 * precision-weighted log-size residuals, sum of precisions, sum of values, and the action slots the metric has
 * (actions up to the highest it has seen: an index into RampState.actions). Then per action ACTION_STRIDE fields:
 * per metric MODEL_FIELDS, the mean and variance of log(value) (learned through roundSig), samples (capped), and
 * the open bucket's events of the action, sum and sum of squares of their clipped residuals (not rounded).
 */
export const OPEN_WEIGHTED_RESIDUAL = 0;
export const OPEN_PRECISION = 1;
export const OPEN_TOTAL = 2;
export const METRIC_SLOTS = 3;
export const METRIC_HEAD = 4;
export const MODELS_HEAD = 3 * METRIC_HEAD;
export const MODEL_LOG_MEAN = 0;
export const MODEL_LOG_VARIANCE = 1;
export const MODEL_SAMPLES = 2;
export const MODEL_BUCKET_EVENTS = 3;
export const MODEL_RESIDUAL_SUM = 4;
export const MODEL_RESIDUAL_SQUARES = 5;
export const MODEL_FIELDS = 6;
export const ACTION_STRIDE = 3 * MODEL_FIELDS;

/** Where the model of `metric` for `action` starts in `sizeModels`. */
export function modelAt(action: number, metric: number): number {
  return MODELS_HEAD + action * ACTION_STRIDE + metric * MODEL_FIELDS;
}

/** Action slots `metric` holds in `sizeModels`. */
export function metricSlots(models: Float64Array, metric: number): number {
  return models[metric * METRIC_HEAD + METRIC_SLOTS]!;
}

/** One metric's part of `sizeModels` by name, as snapshots hold it (per action: up to the metric's slots). */
export interface SizeModelParts {
  actionLogMeans: readonly number[];
  actionLogVariances: readonly number[];
  actionSamples: readonly number[];
  bucketEvents: readonly number[];
  bucketResidualSums: readonly number[];
  bucketResidualSquares: readonly number[];
  openWeightedResidual: number;
  openPrecision: number;
  openTotal: number;
}

/** Each per-action part's name and field inside a metric's model. */
export const MODEL_PARTS = [
  ['actionLogMeans', MODEL_LOG_MEAN],
  ['actionLogVariances', MODEL_LOG_VARIANCE],
  ['actionSamples', MODEL_SAMPLES],
  ['bucketEvents', MODEL_BUCKET_EVENTS],
  ['bucketResidualSums', MODEL_RESIDUAL_SUM],
  ['bucketResidualSquares', MODEL_RESIDUAL_SQUARES],
] as const;

/** `sizeModels` from each metric's parts (null: the metric has no series). Every part of a metric has its slots' length. */
export function assembleSizeModels(metrics: readonly (SizeModelParts | null)[]): Float64Array {
  const slots = metrics.map((parts) => parts?.actionSamples.length ?? 0);
  const models = new Float64Array(MODELS_HEAD + Math.max(0, ...slots) * ACTION_STRIDE);
  metrics.forEach((parts, metric) => {
    if (!parts) return;
    const head = metric * METRIC_HEAD;
    models[head + OPEN_WEIGHTED_RESIDUAL] = parts.openWeightedResidual;
    models[head + OPEN_PRECISION] = parts.openPrecision;
    models[head + OPEN_TOTAL] = parts.openTotal;
    models[head + METRIC_SLOTS] = slots[metric]!;
    for (const [name, field] of MODEL_PARTS) parts[name].forEach((value, action) => (models[modelAt(action, metric) + field] = value));
  });
  return models;
}

/** A size series' hour-of-day parts, where each starts in its float32 `hours` array. */
export const HOURS = 24;
export const HOUR_MEANS = 0;
export const HOUR_SQUARES = HOURS;
export const HOUR_COUNTS = 2 * HOURS;
export const NEXT_HOUR_MEANS = 3 * HOURS;
export const NEXT_HOUR_SQUARES = 4 * HOURS;
export const HOUR_PARTS_LENGTH = 5 * HOURS;

export interface SizeSeries {
  /**
   * Per hour of day, learned once per hour from that hour's buckets (EWMA over days):
   * [HOUR_MEANS, +24) mean bucket residual, [HOUR_SQUARES, +24) mean of (residual^2 - its sampling
   * variance), [HOUR_COUNTS, +24) hours learned. What is learned today goes to [NEXT_HOUR_MEANS, +24)
   * and [NEXT_HOUR_SQUARES, +24) and is used from tomorrow on: a ramp cannot become today's reference.
   * Float32: every value is an integer or learned through roundSig and read back through it
   * (sizeSeries.ts `learned`; residuals far below 1,024).
   */
  hours: Float32Array;
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
  /** The per-event part of the size series (layout above): grows with the actions the metrics see. */
  sizeModels: Float64Array;
  /**
   * Buckets in each size series' drift ring (the closed buckets, at most the window): a series
   * created late starts with that many empty buckets, exactly as if it had been kept all along.
   */
  sizeTrendLength: number;
}
