/**
 * The slow-ramp state's snapshot (version 3): named fields; each series' typed array as named
 * numeric arrays, one per part (engine/snapshotBytes.ts writes each as one varint block, so a
 * part of exact integers or 4-decimal values stays small even where another part is full floats).
 * Version 2 differs only in its drift rings, a positional tuple there (restoreDrift reads both).
 * Version 1 (positional tuples, before the state had names) is migrated (codecV1.ts); any other
 * version fails loudly.
 */
import { restoreDrift, snapshotDrift } from '../../baseline/drift.js';
import { roundSig, roundedValues } from '../../baseline/robust.js';
import { SEASON_SLOTS } from '../../baseline/seasonal.js';
import { SnapshotVersionError } from '../../baseline/seriesCodec.js';
import type { Json } from '../../types.js';
import type { RampConfig } from './config.js';
import { migrateV1 } from './codecV1.js';
import { createRateSeries } from './rateSeries.js';
import {
  DELAY_LINE, HOUR_COUNTS, HOUR_MEANS, HOUR_PARTS_LENGTH, HOUR_SQUARES, HOURS, METRIC_HEAD, MODEL_PARTS, NEXT_HOUR_MEANS, NEXT_HOUR_SQUARES, NO_PENDING_ACCEPT, OPEN_PRECISION, OPEN_TOTAL, OPEN_WEIGHTED_RESIDUAL,
  PROFILE_COUNTS, PROFILE_DELAY, PROFILE_MEANS, RATE_DATA_LENGTH, UPPER_SEMIVARIANCES, assembleSizeModels, metricSlots, modelAt, type RampState, type RateSeries, type SizeModelParts, type SizeSeries,
} from './state.js';

export const RAMP_CODEC_VERSION = 3;
/** Version 2: drift rings as [residuals, weights, head, fired, anyZ] (read by restoreDrift). */
const DRIFT_TUPLE_VERSION = 2;

/** A size series' per-hour parts and where each starts. */
const HOUR_PARTS = [
  ['hourMeans', HOUR_MEANS],
  ['hourSquares', HOUR_SQUARES],
  ['hourCounts', HOUR_COUNTS],
  ['nextHourMeans', NEXT_HOUR_MEANS],
  ['nextHourSquares', NEXT_HOUR_SQUARES],
] as const;

// Float32 parts go out through roundSig (roundedValues): the snapshot holds the same numbers as when the arrays were float64.
function snapshotRate(series: RateSeries): Json {
  const data = series.data;
  return {
    openCount: series.openCount,
    profileMeans: roundedValues(data, PROFILE_MEANS, SEASON_SLOTS),
    profileCounts: roundedValues(data, PROFILE_COUNTS, SEASON_SLOTS),
    upperSemivariances: roundedValues(data, UPPER_SEMIVARIANCES, SEASON_SLOTS),
    delayLine: roundedValues(data, DELAY_LINE, series.delayFill),
    delayHead: series.delayHead,
    overDispersion: series.overDispersion,
    peakLevel: series.peakLevel,
    peakHour: series.peakHour,
    drift: snapshotDrift(series.drift),
    acceptRun: series.acceptRun,
    acceptEarlyCount: series.acceptEarlyCount,
    acceptEarlyExpected: series.acceptEarlyExpected,
    acceptLateCount: series.acceptLateCount,
    acceptLateExpected: series.acceptLateExpected,
  };
}

/** One metric's series: its own fields and its part of the agent's size models (the snapshot is the same as when each series held its own arrays). */
function snapshotSize(models: Float64Array, metric: number, series: SizeSeries): Json {
  const head = metric * METRIC_HEAD;
  const slots = metricSlots(models, metric);
  const out: { [key: string]: Json } = {
    openWeightedResidual: models[head + OPEN_WEIGHTED_RESIDUAL]!,
    openPrecision: models[head + OPEN_PRECISION]!,
    openTotal: models[head + OPEN_TOTAL]!,
    hourOpen: series.hourOpen,
    hourBuckets: series.hourBuckets,
    hourResidualSum: series.hourResidualSum,
    hourSquareSum: series.hourSquareSum,
    hourAlarmed: series.hourAlarmed,
    drift: snapshotDrift(series.drift),
  };
  for (const [name, start] of HOUR_PARTS) out[name] = roundedValues(series.hours, start, HOURS);
  for (const [name, field] of MODEL_PARTS) out[name] = Array.from({ length: slots }, (_, action) => models[modelAt(action, metric) + field]!);
  return out;
}

export function snapshotRamp(st: RampState): Json {
  return {
    version: RAMP_CODEC_VERSION,
    openBucket: st.openBucket,
    actions: [...st.actions],
    rate: st.rate ? snapshotRate(st.rate) : null,
    sizes: st.sizes.map((series, metric) => (series ? snapshotSize(st.sizeModels, metric, series) : null)),
    sizeTrendLength: st.sizeTrendLength,
  };
}

type Fields = { [key: string]: Json };

/** A numeric array of exactly `length` values (or at most, when `exact` is false), else the snapshot is malformed. */
function numbers(o: Fields, key: string, length: number, exact = true): number[] {
  const v = o[key];
  if (!Array.isArray(v) || (exact ? v.length !== length : v.length > length) || !v.every((x) => typeof x === 'number')) throw new Error(`slow-ramp snapshot: ${key} is not ${exact ? '' : 'at most '}${length} numbers`);
  return v as number[];
}

function restoreAccept(o: Fields): typeof NO_PENDING_ACCEPT {
  return { acceptRun: o.acceptRun as number, acceptEarlyCount: o.acceptEarlyCount as number, acceptEarlyExpected: o.acceptEarlyExpected as number, acceptLateCount: o.acceptLateCount as number, acceptLateExpected: o.acceptLateExpected as number };
}

function restoreRate(o: Fields): RateSeries {
  const data = new Float32Array(RATE_DATA_LENGTH);
  data.set(numbers(o, 'profileMeans', SEASON_SLOTS), PROFILE_MEANS);
  data.set(numbers(o, 'profileCounts', SEASON_SLOTS), PROFILE_COUNTS);
  data.set(numbers(o, 'upperSemivariances', SEASON_SLOTS), UPPER_SEMIVARIANCES);
  const delayLine = numbers(o, 'delayLine', PROFILE_DELAY, false);
  data.set(delayLine, DELAY_LINE);
  return {
    data,
    openCount: o.openCount as number,
    delayFill: delayLine.length,
    delayHead: o.delayHead as number,
    overDispersion: o.overDispersion as number,
    peakLevel: o.peakLevel as number,
    peakHour: o.peakHour as number,
    drift: restoreDrift(o.drift!),
    // A snapshot from before the stretch kept counts (acceptSum / acceptLateSum) has no pending stretch
    // that can be finished here: it starts none (at worst one more alert for a new level).
    ...(typeof o.acceptEarlyCount === 'number' ? restoreAccept(o) : NO_PENDING_ACCEPT),
  };
}

/** One metric's series and its part of the size models (assembleSizeModels puts the metrics' parts together). */
function restoreSize(o: Fields): { series: SizeSeries; models: SizeModelParts } {
  const slots = (o.actionSamples as Json[] | undefined)?.length ?? 0;
  const hours = new Float32Array(HOUR_PARTS_LENGTH);
  for (const [name, start] of HOUR_PARTS) hours.set(numbers(o, name, HOURS), start);
  const part = (name: (typeof MODEL_PARTS)[number][0]) => numbers(o, name, slots);
  const models: SizeModelParts = {
    // Learned values as the float32 arrays of before held them (through roundSig: the same numbers for any snapshot of them).
    actionLogMeans: part('actionLogMeans').map(roundSig),
    actionLogVariances: part('actionLogVariances').map(roundSig),
    actionSamples: part('actionSamples'),
    bucketEvents: part('bucketEvents'),
    bucketResidualSums: part('bucketResidualSums'),
    bucketResidualSquares: part('bucketResidualSquares'),
    openWeightedResidual: o.openWeightedResidual as number,
    openPrecision: o.openPrecision as number,
    openTotal: o.openTotal as number,
  };
  const series: SizeSeries = {
    hours,
    hourOpen: o.hourOpen as number,
    hourBuckets: o.hourBuckets as number,
    hourResidualSum: o.hourResidualSum as number,
    hourSquareSum: o.hourSquareSum as number,
    hourAlarmed: o.hourAlarmed as number,
    drift: restoreDrift(o.drift!),
  };
  return { series, models };
}

export function restoreRamp(json: Json, cfg: RampConfig): RampState {
  const o = json as Fields | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new SnapshotVersionError('slow-ramp', Array.isArray(o) ? 'a bare array' : o, RAMP_CODEC_VERSION);
  if (o.version === undefined && Array.isArray(o.rate)) return migrateV1(o, cfg);
  if (o.version !== RAMP_CODEC_VERSION && o.version !== DRIFT_TUPLE_VERSION) throw new SnapshotVersionError('slow-ramp', o.version, RAMP_CODEC_VERSION);
  const sizes = o.sizes as (Fields | null)[];
  if (!Array.isArray(sizes) || sizes.length !== 3) throw new Error('slow-ramp snapshot: sizes is not three series');
  // A series whose rule is now disabled is dropped (it would never be closed again); one whose rule was disabled starts afresh.
  const restored = [0, 1, 2].map((m) => (cfg.volume && sizes[m] ? restoreSize(sizes[m]!) : null));
  return {
    openBucket: o.openBucket as number,
    actions: [...(o.actions as string[])],
    rate: !cfg.rate ? null : o.rate ? restoreRate(o.rate as Fields) : createRateSeries(),
    sizes: restored.map((r) => r?.series ?? null) as RampState['sizes'],
    sizeModels: assembleSizeModels(restored.map((r) => r?.models ?? null)),
    sizeTrendLength: o.sizeTrendLength as number,
  };
}
