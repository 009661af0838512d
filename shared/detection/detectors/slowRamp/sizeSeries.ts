/**
 * slow-ramp.volume: records, bytes out and tokens *per event*. Each event's log size is compared
 * with the usual size of its action (EWMA mean and variance of log size), pooled per bucket with
 * precision weights, minus what that hour of the day usually shows (a nightly batch job's big
 * reads; learned once per hour over days, used from the next day). Per-event sizes do not carry
 * the noise of a bucket's event count, which per-bucket sums do, so a 5%-per-bucket ramp shows
 * within 9-22 buckets even in heavy-tailed series (labelled scenario).
 */
import { ewmaMean, ewmaVariance, ewmaWeight } from '../../baseline/ewma.js';
import { roundSig } from '../../baseline/robust.js';
import type { DetectionContext, Finding } from '../../types.js';
import { epochHour } from '../../time.js';
import type { RampConfig } from './config.js';
import {
  ACTION_STRIDE, HOUR_COUNTS, HOUR_MEANS, HOUR_PARTS_LENGTH, HOUR_SQUARES, HOURS, METRIC_HEAD, METRIC_SLOTS, MODEL_BUCKET_EVENTS, MODEL_LOG_MEAN, MODEL_LOG_VARIANCE, MODEL_RESIDUAL_SQUARES, MODEL_RESIDUAL_SUM, MODEL_SAMPLES, MODELS_HEAD,
  NEXT_HOUR_MEANS, NEXT_HOUR_SQUARES, OPEN_PRECISION, OPEN_TOTAL, OPEN_WEIGHTED_RESIDUAL, SIZE_METRICS, metricSlots, modelAt, type RampState, type SizeSeries,
} from './state.js';
import type { RampThresholdValues } from './thresholds.js';
import { emptyTrend, judgeTrend, pushTrend, trendScore } from './trend.js';

/**
 * Per-event size model: samples of an action before its events count (fewer while the agent learns),
 * EWMA weight per event and its cap per bucket (a busy agent's usual sizes still move slowly in time),
 * clip of a learned residual in sds.
 */
const SIZE_WARM = 20;
const SIZE_WARM_LEARNING = 5;
const SIZE_ALPHA = 0.005;
const SIZE_ALPHA_BUCKET = 0.01;
const SIZE_CLIP = 3;
/** Hour-of-day correction of the pooled size residual: EWMA weight per day, buckets an hour needs, residual clip, extra sd floor. */
const HOUR_ALPHA = 0.3;
const HOUR_MIN_BUCKETS = 3;
const HOUR_CLIP = 3;
const HOUR_SD_FLOOR = 0.05;
/** An hour in which the series alarmed teaches the hour-of-day statistics a quarter as much. */
const ALARMED_HOUR_WEIGHT = 0.25;

/**
 * A learned value (hour means and squares) as it was learned: written through roundSig into the float32 array,
 * read back exactly (below 1,024: baseline/window.ts says why).
 */
function learned(data: Float32Array, at: number): number {
  return roundSig(data[at]!);
}

/** A series first created after `trendLength` closed buckets: it starts as the idle series it would have been. */
export function createSizeSeries(trendLength: number, windowBuckets: number): SizeSeries {
  return { hours: new Float32Array(HOUR_PARTS_LENGTH), hourOpen: -1, hourBuckets: 0, hourResidualSum: 0, hourSquareSum: 0, hourAlarmed: 0, drift: emptyTrend(trendLength, windowBuckets) };
}

/** The size models of an agent that has sent no size yet: the header alone. */
export function emptySizeModels(): Float64Array {
  return new Float64Array(MODELS_HEAD);
}

/**
 * Room for `action` (an index into RampState.actions) in `metric`'s models: the metric's series exists (created at
 * its first value as the idle series it would have been) and its slots reach the action; the array grows to the
 * highest action any metric has seen.
 */
function ensureActionSlot(cfg: RampConfig, st: RampState, metric: number, action: number): Float64Array {
  let models = st.sizeModels;
  const slotsAt = metric * METRIC_HEAD + METRIC_SLOTS;
  if (action < models[slotsAt]!) return models;
  st.sizes[metric] ??= createSizeSeries(st.sizeTrendLength, cfg.volume!.windowBuckets);
  const length = MODELS_HEAD + (action + 1) * ACTION_STRIDE;
  if (models.length < length) {
    const grown = new Float64Array(length);
    grown.set(models);
    st.sizeModels = models = grown;
  }
  models[slotsAt] = action + 1;
  return models;
}

/**
 * One event's size: pooled into the bucket against its action's usual size (once the action has
 * SIZE_WARM samples), and kept for the action's learning at bucket close. Until then the action
 * learns each value at once (plain average). Touches `st.sizeModels` only (see state.ts).
 */
export function addSize(cfg: RampConfig, st: RampState, metric: number, action: number, value: number, learning: boolean): void {
  const models = ensureActionSlot(cfg, st, metric, action);
  const at = modelAt(action, metric);
  const samples = models[at + MODEL_SAMPLES]!;
  const logValue = Math.log(value);
  const logMean = models[at + MODEL_LOG_MEAN]!;
  const deviation = logValue - logMean;
  if (samples >= (learning ? SIZE_WARM_LEARNING : SIZE_WARM)) {
    const variance = Math.max(models[at + MODEL_LOG_VARIANCE]!, cfg.sizeVarianceFloor);
    const precision = 1 / variance;
    const head = metric * METRIC_HEAD;
    models[head + OPEN_WEIGHTED_RESIDUAL]! += deviation * precision;
    models[head + OPEN_PRECISION]! += precision;
    models[head + OPEN_TOTAL]! += value;
    const clip = SIZE_CLIP * Math.sqrt(variance);
    const clipped = deviation > clip ? clip : deviation < -clip ? -clip : deviation;
    models[at + MODEL_BUCKET_EVENTS]!++;
    models[at + MODEL_RESIDUAL_SUM]! += clipped;
    models[at + MODEL_RESIDUAL_SQUARES]! += clipped * clipped;
    return;
  }
  const weight = 1 / (samples + 1);
  models[at + MODEL_LOG_MEAN] = roundSig(ewmaMean(logMean, logValue, weight));
  models[at + MODEL_LOG_VARIANCE] = roundSig(ewmaVariance(models[at + MODEL_LOG_VARIANCE]!, logMean, logValue, weight));
  models[at + MODEL_SAMPLES] = samples + 1;
}

/** Close one size series' bucket. */
export function closeSize(cfg: RampConfig, th: RampThresholdValues, st: RampState, metric: number, bucket: number, ctx: DetectionContext<RampState>): Finding | null {
  const series = st.sizes[metric]!;
  const data = series.hours;
  const models = st.sizeModels;
  const head = metric * METRIC_HEAD;
  const precision = models[head + OPEN_PRECISION]!;
  const total = models[head + OPEN_TOTAL]!;
  const residual = precision > 0 ? models[head + OPEN_WEIGHTED_RESIDUAL]! / precision : 0;
  models[head + OPEN_WEIGHTED_RESIDUAL] = 0;
  models[head + OPEN_PRECISION] = 0;
  models[head + OPEN_TOTAL] = 0;
  const localHour = epochHour(bucket * cfg.bucketMs, ctx.zone);
  if (localHour !== series.hourOpen) commitHour(series, localHour);
  const hour = ((localHour % HOURS) + HOURS) % HOURS;
  if (!(precision > 0)) {
    learnActions(th, st, metric, series);
    pushTrend(series.drift, 0, 0, th.windowBuckets);
    return null;
  }
  // What this hour of the day usually shows, shift-tolerant like the count profile: the highest
  // mean and spread of this hour and its neighbours (a nightly job that starts a little early).
  let usualResidual = 0;
  let extraVariance = HOUR_SD_FLOOR * HOUR_SD_FLOOR;
  for (let k = -1; k <= 1; k++) {
    const h = (hour + HOURS + k) % HOURS;
    if (data[HOUR_COUNTS + h]! < 1) continue;
    const mean = learned(data, HOUR_MEANS + h);
    if (mean > usualResidual) usualResidual = mean;
    const variance = learned(data, HOUR_SQUARES + h) - mean * mean;
    if (variance > extraVariance) extraVariance = variance;
  }
  const sd = Math.sqrt(1 / precision + extraVariance);
  let finding: Finding | null = null;
  if (ctx.learning) pushTrend(series.drift, 0, 0, th.windowBuckets);
  else if (judgeTrend(series.drift, (residual - usualResidual) / sd, 1 / sd, th, cfg.trend)) finding = sizeFinding(cfg, th, st, metric, bucket, total, residual - usualResidual, sd, ctx);
  learnActions(th, st, metric, series);
  if (series.drift.fired) series.hourAlarmed = 1;
  const clipped = Math.max(-HOUR_CLIP, Math.min(HOUR_CLIP, residual));
  series.hourBuckets++;
  series.hourResidualSum += clipped;
  series.hourSquareSum += clipped * clipped - 1 / precision;
  return finding;
}

/**
 * Fold the finished hour into tomorrow's hour-of-day statistics (EWMA over days; an hour in which
 * the series alarmed counts a quarter), open `localHour` (a local epoch hour), and on a new day make them today's.
 */
function commitHour(series: SizeSeries, localHour: number): void {
  const data = series.hours;
  const previous = series.hourOpen;
  if (previous >= 0 && series.hourBuckets >= HOUR_MIN_BUCKETS) {
    const h = ((previous % HOURS) + HOURS) % HOURS;
    const hoursLearned = data[HOUR_COUNTS + h]!;
    let weight = ewmaWeight(HOUR_ALPHA, hoursLearned);
    if (series.hourAlarmed) weight *= ALARMED_HOUR_WEIGHT;
    data[NEXT_HOUR_MEANS + h] = roundSig(ewmaMean(learned(data, HOUR_MEANS + h), series.hourResidualSum / series.hourBuckets, weight));
    data[NEXT_HOUR_SQUARES + h] = roundSig(ewmaMean(learned(data, HOUR_SQUARES + h), series.hourSquareSum / series.hourBuckets, weight));
    if (hoursLearned < 1 / HOUR_ALPHA) data[HOUR_COUNTS + h] = hoursLearned + 1;
  }
  if (previous < 0 || Math.floor(previous / HOURS) !== Math.floor(localHour / HOURS)) {
    data.copyWithin(HOUR_MEANS, NEXT_HOUR_MEANS, NEXT_HOUR_MEANS + HOURS);
    data.copyWithin(HOUR_SQUARES, NEXT_HOUR_SQUARES, NEXT_HOUR_SQUARES + HOURS);
  }
  series.hourOpen = localHour;
  series.hourBuckets = 0;
  series.hourResidualSum = 0;
  series.hourSquareSum = 0;
  series.hourAlarmed = 0;
}

/** At bucket close: each action's usual size learns the bucket's events (EWMA, capped per bucket; not upwards while the series alarms). */
function learnActions(th: RampThresholdValues, st: RampState, metric: number, series: SizeSeries): void {
  const alarmed = series.drift.anyZ >= th.h;
  const models = st.sizeModels;
  const slots = metricSlots(models, metric);
  for (let i = 0; i < slots; i++) {
    const at = modelAt(i, metric);
    const events = models[at + MODEL_BUCKET_EVENTS]!;
    if (events === 0) continue;
    const meanResidual = models[at + MODEL_RESIDUAL_SUM]! / events;
    const meanSquare = models[at + MODEL_RESIDUAL_SQUARES]! / events;
    models[at + MODEL_BUCKET_EVENTS] = 0;
    models[at + MODEL_RESIDUAL_SUM] = 0;
    models[at + MODEL_RESIDUAL_SQUARES] = 0;
    if (alarmed && meanResidual > 0) continue;
    const weight = Math.min(SIZE_ALPHA_BUCKET, events * SIZE_ALPHA);
    models[at + MODEL_LOG_MEAN] = roundSig(models[at + MODEL_LOG_MEAN]! + weight * meanResidual);
    models[at + MODEL_LOG_VARIANCE] = roundSig(Math.max(0, (1 - weight) * models[at + MODEL_LOG_VARIANCE]! + weight * (meanSquare - weight * meanResidual * meanResidual)));
    const samples = models[at + MODEL_SAMPLES]! + events;
    models[at + MODEL_SAMPLES] = samples < 1 / SIZE_ALPHA ? samples : 1 / SIZE_ALPHA;
  }
}

function sizeFinding(cfg: RampConfig, th: RampThresholdValues, st: RampState, metric: number, bucket: number, total: number, residual: number, sd: number, ctx: DetectionContext<RampState>): Finding {
  const trend = cfg.trend;
  const name = SIZE_METRICS[metric]!;
  const n = trend.runBuckets;
  const pct = (Math.exp(trend.slope) - 1) * 100;
  const ratio = Math.exp(trend.slope * n);
  const usual = total / Math.exp(residual);
  let samples = 0;
  for (let i = 0, slots = metricSlots(st.sizeModels, metric); i < slots; i++) samples += st.sizeModels[modelAt(i, metric) + MODEL_SAMPLES]!;
  return {
    detector: 'slow-ramp',
    ruleId: 'slow-ramp.volume',
    score: trendScore(trend, th.h),
    title: `Slow ramp in ${name} per event: +${pct.toFixed(1)}%/bucket for ${n} buckets (now ~${ratio.toFixed(2)}x the usual size)`,
    description: `Agent ${ctx.agentId}'s ${name} per event have been growing steadily for ${n} buckets, about ${pct.toFixed(1)}% per bucket above the usual size for the same actions (last bucket ${total.toFixed(0)} against ~${usual.toFixed(0)} at usual sizes; trend z ${trend.z.toFixed(1)}). A steady rise like this is what a rolling baseline would learn as normal: possible slow exfiltration or baseline poisoning.`,
    metric: `${name} per event (ramp)`,
    observed: total,
    baseline: { mean: roundSig(usual), std: roundSig(usual * (Math.exp(sd) - 1)), median: null, mad: null, sampleSize: samples, source: 'agent' },
    windowStart: (bucket - n + 1) * cfg.bucketMs,
    windowEnd: (bucket + 1) * cfg.bucketMs,
    relatedEventIds: ctx.recentEventIds(),
    details: { series: name, runBuckets: String(n), slopePerBucket: `${pct.toFixed(2)}%`, rampRatio: ratio.toFixed(3), trendZ: trend.z.toFixed(2), lastBucketSizeRatio: Math.exp(residual).toFixed(3), noiseSd: sd.toFixed(3) },
  };
}
