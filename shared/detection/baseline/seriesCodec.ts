/**
 * The series state's snapshot: named fields, versioned. Typed arrays become
 * plain arrays (the window oldest first; the seasonal profile only when the
 * series has one); a dormant series (series.ts) has neither, its count of
 * closed zero buckets says it all. An unknown version fails loudly.
 */
import { windowFrom, windowValues } from './window.js';
import { seasonalFrom, seasonalParts } from './seasonal.js';
import { copyShift, createShift, type ShiftTracker } from './shift.js';
import type { SeriesParams, SeriesState } from './series.js';
import type { Json } from '../types.js';

export const SERIES_CODEC_VERSION = 4;
/**
 * Version 2 lacked the shift tracker: it is migrated with an empty one (nothing was building up). Versions 2
 * and 3 always had a window: they restore as materialised series (version 4 writes a null window for a dormant one).
 */
const MIGRATABLE_VERSIONS = new Set([2, 3, SERIES_CODEC_VERSION]);

export class SnapshotVersionError extends Error {
  readonly reason = 'snapshot-version';
  constructor(what: string, found: unknown, expected: number) {
    super(`${what} snapshot version ${JSON.stringify(found)} is not supported (expected ${expected}); baselines start afresh after an upgrade from an older format`);
    this.name = 'SnapshotVersionError';
  }
}

export function snapshotSeries(st: SeriesState): Json {
  return {
    version: SERIES_CODEC_VERSION,
    openBucket: st.openBucket,
    openValue: st.openValue,
    openLargest: st.openLargest,
    excusableSingle: st.excusableSingle,
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
    seasonal: st.seasonal ? seasonalParts(st.seasonal) : null,
    scale: st.scale,
    upperTail: { ...st.upperTail },
    lowerTail: { ...st.lowerTail },
    outsideRun: st.guard.outsideRun,
    outsideSide: st.guard.outsideSide,
    shift: copyShift(st.shift) as unknown as Json,
    recentLargest: st.recentLargest,
    sizeLogMean: st.sizeLogMean,
    sizeLogVariance: st.sizeLogVariance,
    sizeSamples: st.sizeSamples,
  };
}

type SeriesJson = Omit<SeriesState, 'window' | 'seasonal' | 'guard' | 'upperThreshold' | 'upperTail' | 'lowerTail' | 'shift'> & {
  shift?: ShiftTracker;
  upperTail: { quantile: number; meanExcess: number };
  lowerTail: { quantile: number; meanExcess: number };
  version: number;
  upperThreshold: number | 'inf';
  window: number[] | null;
  seasonal: { means: number[]; variances: number[]; counts: number[] } | null;
  outsideRun: number;
  outsideSide: number;
};

export function restoreSeries(json: Json, p: SeriesParams): SeriesState {
  const o = json as unknown as SeriesJson;
  if (!o || typeof o !== 'object' || Array.isArray(o) || !MIGRATABLE_VERSIONS.has(o.version)) throw new SnapshotVersionError('series', Array.isArray(o) ? 'v1 (positional tuple)' : (o as { version?: unknown } | null)?.version, SERIES_CODEC_VERSION);
  return {
    openBucket: o.openBucket,
    openValue: o.openValue,
    openLargest: o.openLargest,
    excusableSingle: o.excusableSingle ?? 0,
    upperThreshold: o.upperThreshold === 'inf' ? Infinity : o.upperThreshold,
    lowerThreshold: o.lowerThreshold,
    expectedHigh: o.expectedHigh,
    expectedLow: o.expectedLow,
    spread: o.spread,
    upperZ: o.upperZ,
    lowerZ: o.lowerZ,
    source: o.source,
    firedBand: o.firedBand,
    window: o.window ? windowFrom(p.windowBuckets, o.window) : null,
    closedBuckets: o.closedBuckets,
    activeBuckets: o.activeBuckets,
    seasonal: o.seasonal ? seasonalFrom(o.seasonal) : null,
    scale: o.scale,
    upperTail: { ...o.upperTail },
    lowerTail: { ...o.lowerTail },
    guard: { outsideRun: o.outsideRun, outsideSide: o.outsideSide },
    shift: o.shift ? copyShift(o.shift) : createShift(),
    recentLargest: o.recentLargest,
    sizeLogMean: o.sizeLogMean,
    sizeLogVariance: o.sizeLogVariance,
    sizeSamples: o.sizeSamples,
  };
}
