/**
 * Version 1 of the slow-ramp snapshot (before the state had names: `{ b, rate, size, acts }` with
 * the series as positional tuples), migrated to the current state so an upgrade keeps every
 * agent's ramp baselines. The tuple orders below are version 1's and never change.
 */
import { restoreDrift } from '../../baseline/drift.js';
import { SEASON_SLOTS } from '../../baseline/seasonal.js';
import type { Json } from '../../types.js';
import type { RampConfig } from './config.js';
import { roundSig } from '../../baseline/robust.js';
import {
  DELAY_LINE, HOUR_COUNTS, HOUR_MEANS, HOUR_PARTS_LENGTH, HOUR_SQUARES, HOURS, NEXT_HOUR_MEANS, NEXT_HOUR_SQUARES, NO_PENDING_ACCEPT, PROFILE_COUNTS, PROFILE_DELAY, PROFILE_MEANS, RATE_DATA_LENGTH,
  UPPER_SEMIVARIANCES, assembleSizeModels, type RampState, type RateSeries, type SizeModelParts, type SizeSeries,
} from './state.js';

type RateV1 = [openCount: number, means: number[], counts: number[], upper: number[], delay: number[], delayHead: number, overDispersion: number, peakLevel: number, peakHour: number, drift: Json, acceptRun?: number, acceptSum?: number, acceptLateSum?: number];
type SizeV1 = [
  weighted: number, precision: number, total: number, hourMeans: number[], hourSquares: number[], hourCounts: number[], nextMeans: number[], nextSquares: number[],
  hourOpen: number, hourBuckets: number, hourSum: number, hourSquareSum: number, hourAlarmed: number,
  logMeans: number[], logVariances: number[], samples: number[], bucketEvents: number[], bucketSums: number[], bucketSquares: number[], drift: Json,
];

function sized(values: unknown, length: number, what: string): number[] {
  if (!Array.isArray(values) || values.length !== length) throw new Error(`slow-ramp v1 snapshot: ${what} is not ${length} numbers`);
  return values as number[];
}

function migrateRate(v: RateV1): RateSeries {
  const data = new Float32Array(RATE_DATA_LENGTH);
  data.set(sized(v[1], SEASON_SLOTS, 'profile means'), PROFILE_MEANS);
  data.set(sized(v[2], SEASON_SLOTS, 'profile counts'), PROFILE_COUNTS);
  data.set(sized(v[3], SEASON_SLOTS, 'upper semivariances'), UPPER_SEMIVARIANCES);
  // The delay line grew by push to PROFILE_DELAY, then turned into a ring in place: the same physical order.
  const delay = v[4];
  if (!Array.isArray(delay) || delay.length > PROFILE_DELAY) throw new Error('slow-ramp v1 snapshot: delay line too long');
  data.set(delay, DELAY_LINE);
  return { data, openCount: v[0], delayFill: delay.length, delayHead: v[5], overDispersion: v[6], peakLevel: v[7], peakHour: v[8], drift: restoreDrift(v[9]), ...NO_PENDING_ACCEPT };
}

function migrateSize(v: SizeV1, actions: number): { series: SizeSeries; models: SizeModelParts } {
  const hours = new Float32Array(HOUR_PARTS_LENGTH);
  hours.set(sized(v[3], HOURS, 'hour means'), HOUR_MEANS);
  hours.set(sized(v[4], HOURS, 'hour squares'), HOUR_SQUARES);
  hours.set(sized(v[5], HOURS, 'hour counts'), HOUR_COUNTS);
  hours.set(sized(v[6], HOURS, 'next hour means'), NEXT_HOUR_MEANS);
  hours.set(sized(v[7], HOURS, 'next hour squares'), NEXT_HOUR_SQUARES);
  const perAction = (values: unknown) => sized(values, actions, 'a per-action part');
  const models: SizeModelParts = {
    actionLogMeans: perAction(v[13]).map(roundSig),
    actionLogVariances: perAction(v[14]).map(roundSig),
    actionSamples: perAction(v[15]),
    bucketEvents: perAction(v[16]),
    bucketResidualSums: perAction(v[17]),
    bucketResidualSquares: perAction(v[18]),
    openWeightedResidual: v[0],
    openPrecision: v[1],
    openTotal: v[2],
  };
  return { series: { hours, hourOpen: v[8], hourBuckets: v[9], hourResidualSum: v[10], hourSquareSum: v[11], hourAlarmed: v[12], drift: restoreDrift(v[19]) }, models };
}

/** Version 1 kept all three size series from the start; they are kept (an idle one behaves exactly like the absent one it would be now). */
export function migrateV1(o: { [key: string]: Json }, cfg: RampConfig): RampState {
  const actions = o.acts as string[];
  const sizes = o.size as unknown as SizeV1[];
  if (!Array.isArray(actions) || !Array.isArray(sizes) || sizes.length !== 3) throw new Error('slow-ramp v1 snapshot: malformed');
  const migrated = sizes.map((s) => (cfg.volume ? migrateSize(s, actions.length) : null));
  return {
    openBucket: o.b as number,
    actions: [...actions],
    rate: cfg.rate ? migrateRate(o.rate as unknown as RateV1) : null,
    sizes: migrated.map((m) => m?.series ?? null) as RampState['sizes'],
    sizeModels: assembleSizeModels(migrated.map((m) => m?.models ?? null)),
    // All three rings took the same pushes (one per closed bucket): any of them has the common length.
    sizeTrendLength: restoreDrift(sizes[0]![19]).length,
  };
}
