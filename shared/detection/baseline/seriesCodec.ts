/**
 * The series state's snapshot: named fields, versioned. Typed arrays become
 * plain arrays (the window oldest first; the seasonal profile only when the
 * series has one); a dormant series (series.ts) has neither, its count of
 * closed zero buckets says it all. An unknown version fails loudly.
 */
import { fillWindow, windowValues } from './window.js';
import { fillSeasonal, seasonalParts } from './seasonal.js';
import { copyShift, type ShiftTracker } from './shift.js';
import { copyVariance, type VarianceTracker } from './variance.js';
import { copyAccumulation, type AccumulationTracker } from './accumulation.js';
import { HELD_NONE, createBaselines, createSingleEvent, type SeriesParams, type SeriesState, type SingleEventState } from './series.js';
import type { Json } from '../types.js';
import type { BaselineArena } from './arena.js';

export const SERIES_CODEC_VERSION = 9;
/**
 * Older versions still read: 2 lacked the shift tracker (migrated with none: nothing was building up); 2 and 3
 * always had a window and the tails (restored materialised, with the tails as written); 4 wrote a null window for
 * a dormant series but always the tails and tracker. 5 writes null for tails and a tracker never used; 6 adds the long-run noise (migrated as 0: the floor then
 * rebuilds it over a few windows); 7 the variance tracker (migrated with none: nothing was building up); 8 the accumulation tracker and the open
 * bucket's ordinary part (migrated with no tracker, the open value as ordinary: its blocks start again); 9 the
 * open bucket's per-action excuse and held sizes (actionSizes.ts; the fits themselves are the owner's, written once
 * per detector state; migrated with none: each action's fit starts again, the mixture decides until it has
 * MIN_SAMPLES events). The shared fits are linked by the owner after restore (`sizes` is null here).
 */
const MIGRATABLE_VERSIONS = new Set([2, 3, 4, 5, 6, 7, 8, SERIES_CODEC_VERSION]);

export class SnapshotVersionError extends Error {
  readonly reason = 'snapshot-version';
  constructor(what: string, found: unknown, expected: number) {
    super(`${what} snapshot version ${JSON.stringify(found)} is not supported (expected ${expected}); baselines start afresh after an upgrade from an older format`);
    this.name = 'SnapshotVersionError';
  }
}

/** What a series without the single-event guard writes for its fields (what it wrote when it kept them, unused, as zeros). */
const NO_SINGLE_EVENT = createSingleEvent();

export function snapshotSeries(st: SeriesState): Json {
  const single = st.single ?? NO_SINGLE_EVENT;
  return {
    version: SERIES_CODEC_VERSION,
    openBucket: st.openBucket,
    openValue: st.openValue,
    openLargest: single.openLargest,
    openOrdinary: single.openOrdinary,
    excusableSingle: single.excusableSingle,
    upperThreshold: Number.isFinite(st.upperThreshold) ? st.upperThreshold : 'inf',
    lowerThreshold: st.lowerThreshold,
    expectedHigh: st.expectedHigh,
    expectedLow: st.expectedLow,
    spread: st.spread,
    upperZ: st.upperZ,
    lowerZ: st.lowerZ,
    source: st.source,
    firedBand: st.firedBand,
    window: st.window ? windowValues(st.window) : null,
    closedBuckets: st.closedBuckets,
    activeBuckets: st.activeBuckets,
    seasonal: st.profileBase >= 0 ? seasonalParts(st.window!.data, st.profileBase) : null,
    scale: st.scale,
    noise: st.noise,
    upperTail: st.upperTail ? { ...st.upperTail } : null,
    lowerTail: st.lowerTail ? { ...st.lowerTail } : null,
    outsideRun: st.outsideRun,
    outsideSide: st.outsideSide,
    shift: st.shift ? (copyShift(st.shift) as unknown as Json) : null,
    variance: st.variance ? (copyVariance(st.variance) as unknown as Json) : null,
    accumulation: st.accumulation ? (copyAccumulation(st.accumulation) as unknown as Json) : null,
    recentLargest: single.recentLargest,
    sizeLogMean: single.sizeLogMean,
    sizeLogVariance: single.sizeLogVariance,
    sizeSamples: single.sizeSamples,
    // Newer single-event fields only where they mean something (a count series would carry them empty).
    ...(st.single ? { openActionExcused: single.openActionExcused, openActionAllowance: single.openActionAllowance, actionHeld: single.actionHeld } : {}),
  };
}

type SeriesJson = Omit<SeriesState & SingleEventState, 'single' | 'arena' | 'window' | 'profileBase' | 'upperThreshold' | 'upperTail' | 'lowerTail' | 'shift' | 'noise' | 'variance' | 'accumulation' | 'openOrdinary' | 'sizes' | 'sizesMetric' | 'openActionExcused' | 'openActionAllowance' | 'actionHeld'> & {
  openActionExcused?: number;
  openActionAllowance?: number;
  actionHeld?: number;
  openOrdinary?: number;
  variance?: VarianceTracker | null;
  accumulation?: AccumulationTracker | null;
  noise?: number;
  shift?: ShiftTracker | null;
  upperTail: { quantile: number; meanExcess: number } | null;
  lowerTail: { quantile: number; meanExcess: number } | null;
  version: number;
  upperThreshold: number | 'inf';
  window: number[] | null;
  seasonal: { means: number[]; variances: number[]; counts: number[] } | null;
};

/** Restore a series; its window and profile go into `arena` when one is given (arena.ts), as `createSeries` would put them. */
/** Fill the profile at `base` from its snapshot parts; returns `base`. */
function filledProfile(data: Float32Array, base: number, parts: NonNullable<SeriesJson['seasonal']>): number {
  fillSeasonal(data, base, parts);
  return base;
}

export function restoreSeries(json: Json, p: SeriesParams, arena: BaselineArena | null = null): SeriesState {
  const o = json as unknown as SeriesJson;
  if (!o || typeof o !== 'object' || Array.isArray(o) || !MIGRATABLE_VERSIONS.has(o.version)) throw new SnapshotVersionError('series', Array.isArray(o) ? 'v1 (positional tuple)' : (o as { version?: unknown } | null)?.version, SERIES_CODEC_VERSION);
  const baselines = o.window ? createBaselines(p, arena) : null;
  return {
    openBucket: o.openBucket,
    openValue: o.openValue,
    // Only volumes read these; every other series wrote zeros (or an unread open largest value).
    single: p.singleEventGuard ? { openLargest: o.openLargest, openOrdinary: o.openOrdinary ?? o.openValue, excusableSingle: o.excusableSingle ?? 0, recentLargest: o.recentLargest, sizeLogMean: o.sizeLogMean, sizeLogVariance: o.sizeLogVariance, sizeSamples: o.sizeSamples, sizes: null, sizesMetric: 0, openActionExcused: o.openActionExcused ?? 0, openActionAllowance: o.openActionAllowance ?? 0, actionHeld: o.actionHeld ?? HELD_NONE } : null,
    upperThreshold: o.upperThreshold === 'inf' ? Infinity : o.upperThreshold,
    lowerThreshold: o.lowerThreshold,
    expectedHigh: o.expectedHigh,
    expectedLow: o.expectedLow,
    spread: o.spread,
    upperZ: o.upperZ,
    lowerZ: o.lowerZ,
    source: o.source,
    firedBand: o.firedBand,
    window: baselines ? fillWindow(baselines.window, o.window!) : null,
    arena,
    closedBuckets: o.closedBuckets,
    activeBuckets: o.activeBuckets,
    profileBase: baselines && baselines.profileBase >= 0 && o.seasonal ? filledProfile(baselines.window.data, baselines.profileBase, o.seasonal) : -1,
    scale: o.scale,
    noise: o.noise ?? 0,
    // Versions 2 and 3 always wrote the tails and (3) the tracker; a fresh one and none behave alike.
    upperTail: o.upperTail ? { ...o.upperTail } : null,
    lowerTail: o.lowerTail ? { ...o.lowerTail } : null,
    outsideRun: o.outsideRun,
    outsideSide: o.outsideSide,
    shift: o.shift ? copyShift(o.shift) : null,
    variance: o.variance ? copyVariance(o.variance) : null,
    accumulation: o.accumulation ? copyAccumulation(o.accumulation) : null,
  };
}
