/**
 * A bucketed series with a poisoning-resistant baseline: the building block
 * of the rate, volume and error detectors and of `createSeriesScorer`.
 *
 * - Values add into the open bucket (event time). A bucket closes lazily,
 *   when the series is touched in a later bucket (or flushed); buckets with
 *   no events close as zeros.
 * - The baseline is a rolling window of the last N closed buckets
 *   (median/MAD, mean/std; kept sorted on insert, so no sort per event) plus
 *   a seasonal profile (EWMA per hour of day x weekday/weekend), so the
 *   morning rise and the quiet weekend are expected, not anomalous.
 * - The threshold for the open bucket is computed once, at its first touch;
 *   each later value only compares, so a spike fires while it happens
 *   (early firing), not one bucket later.
 * - A closed value is capped at expected + capZ x spread before it is
 *   learned: one anomalous bucket cannot teach the baseline.
 *
 * State is a plain object of numbers and arrays (JSON as is, except the
 * derived sorted copy which `restoreSeries` rebuilds).
 */
import { MAD_TO_STD, halfIqrSorted, insertSorted, madSorted, mean, medianSorted, removeSorted, roundSig, scoreAgainst, std } from './robust.js';
import { SEASON_SLOTS, learnPeer, type PeerSeries } from './peers.js';
import { otherClassSlot, seasonSlot } from '../time.js';
import type { BaselineStats, Json } from '../types.js';
import { stepsBelowRule } from '../scoreBands.js';

export interface SeriesParams {
  bucketMs: number;
  tzOffsetMs: number;
  windowBuckets: number;
  warmupBuckets: number;
  capZ: number;
  /** Use the hour-of-day x day-class profile (and require it before alerting on the own baseline). */
  seasonal: boolean;
  seasonalAlpha: number;
  seasonalMinSamples: number;
  stdShare: number;
  relSpreadFloor: number;
  absSpreadFloor: number;
  /** Counts: the spread is at least sqrt(expected) (Poisson noise). */
  poisson: boolean;
  z: number;
  minRatio: number;
  minValue: number;
  /** Fire at or above this whatever the baseline (Infinity: never). */
  alwaysAt: number;
  /** z against the peer profile while not ready (0: no peer comparison). */
  peerZ: number;
  peerAlpha: number;
  peerMinSamples: number;
  /** Buckets of zeros replayed at most after a gap (older ones no longer matter). */
  maxFillBuckets: number;
  /**
   * Volumes: the threshold is at least expected + eventMaxFactor x the largest
   * single value seen recently (decayed max), so one ordinary large event
   * (a heavy-tailed query) is not a spike. 0: off.
   */
  eventMaxFactor: number;
  /** Per-bucket decay of that recent largest single value. */
  eventMaxDecay: number;
}

/** Threshold source of the open bucket. */
export const SRC_NONE = 0;
export const SRC_AGENT = 1;
export const SRC_PEER = 2;

export interface SeriesState {
  /** Open bucket index (-1: none yet). */
  b: number;
  /** Value of the open bucket so far. */
  x: number;
  /** Ring of closed (capped) values, physical order; next write at h. */
  r: number[];
  h: number;
  /** Closed buckets so far. */
  n: number;
  /** Seasonal means and sample counts (empty when not seasonal). */
  sm: number[];
  sc: number[];
  /** Seasonal variances (empty when not seasonal). */
  sv: number[];
  /** Open bucket: threshold (-1 not computed, 0 disarmed), expected, spread, source, highest score band fired (0 none). */
  t: number;
  e: number;
  sp: number;
  src: number;
  f: number;
  /** Largest single value in the open bucket, and the decayed recent largest single value. */
  bm: number;
  mx: number;
  /** EWMA mean and variance of ln(single value): the size distribution of one event (volumes). */
  lm: number;
  lv: number;
  ln: number;
  /** Sorted copy of r (derived). */
  s: number[];
}

/** `startBucket`: the bucket the series exists from (usually the agent's first), so quiet buckets before its first value count as zeros. */
export function createSeries(p: SeriesParams, startBucket = -1): SeriesState {
  return {
    b: startBucket,
    x: 0,
    r: [],
    h: 0,
    n: 0,
    sm: p.seasonal ? new Array<number>(SEASON_SLOTS).fill(0) : [],
    sc: p.seasonal ? new Array<number>(SEASON_SLOTS).fill(0) : [],
    sv: p.seasonal ? new Array<number>(SEASON_SLOTS).fill(0) : [],
    t: -1,
    e: 0,
    sp: 0,
    src: SRC_NONE,
    f: 0,
    bm: 0,
    mx: 0,
    lm: 0,
    lv: 0,
    ln: 0,
    s: [],
  };
}

function pushWindow(st: SeriesState, value: number, size: number): void {
  if (st.r.length < size) {
    st.r.push(value);
    st.h = st.r.length % size;
  } else {
    const old = st.r[st.h]!;
    if (old === value) {
      // Common for quiet series (a zero replaces a zero): the sorted copy does not change.
      st.h = (st.h + 1) % size;
      return;
    }
    removeSorted(st.s, old);
    st.r[st.h] = value;
    st.h = (st.h + 1) % size;
  }
  insertSorted(st.s, value);
}

function learn(st: SeriesState, p: SeriesParams, bucket: number, value: number, peer: PeerSeries | null): void {
  const v = roundSig(value);
  pushWindow(st, v, p.windowBuckets);
  st.n++;
  const slot = p.seasonal || peer ? seasonSlot(bucket * p.bucketMs, p.tzOffsetMs) : 0;
  if (p.seasonal) {
    const c = st.sc[slot]!;
    const a = Math.max(p.seasonalAlpha, 1 / (c + 1));
    const d = v - st.sm[slot]!;
    st.sm[slot] = roundSig(st.sm[slot]! + a * d);
    st.sv[slot] = roundSig((1 - a) * (st.sv[slot]! + a * d * d));
    // Count until the EWMA takes over from the plain average (then the count no longer matters).
    if (c < p.seasonalMinSamples || c < 1 / p.seasonalAlpha) st.sc[slot] = c + 1;
  }
  // Only agents with their own history teach the role what normal looks like.
  if (peer && st.n > p.warmupBuckets) learnPeer(peer, slot, v, p.peerAlpha);
}

/** Close the open bucket (capped) and any empty buckets up to `bucket`, then open `bucket`. */
export function advance(st: SeriesState, p: SeriesParams, bucket: number, peer: PeerSeries | null): void {
  if (st.b === bucket) return;
  if (st.b >= 0 && bucket > st.b) {
    let v = st.x;
    if (st.src !== SRC_NONE && st.t > 0) v = Math.min(v, st.e + p.capZ * st.sp);
    learn(st, p, st.b, v, peer);
    const gap = bucket - st.b - 1;
    const fill = Math.min(gap, p.maxFillBuckets);
    for (let k = bucket - fill; k < bucket; k++) learn(st, p, k, 0, peer);
    if (p.eventMaxFactor > 0) {
      // A bucket that alerted does not teach what a large single value is.
      const m = st.f ? Math.min(st.bm, st.mx) : st.bm;
      st.mx = roundSig(Math.max(m, st.mx * p.eventMaxDecay ** (gap + 1)));
    }
  }
  st.b = bucket;
  st.x = 0;
  st.t = -1;
  st.e = 0;
  st.sp = 0;
  st.src = SRC_NONE;
  st.f = 0;
  st.bm = 0;
}

/** EWMA weight of the single-event size model, and its tail quantile (p99.99 of a lognormal: z = 3.72). */
const SIZE_ALPHA = 0.01;
const SIZE_TAIL_Z = 3.72;

/** Add one value to the open bucket (after `touch`). Volumes also learn the size of one event. */
export function addValue(st: SeriesState, value: number, p: SeriesParams): void {
  st.x += value;
  if (value > st.bm) st.bm = value;
  if (p.eventMaxFactor > 0 && value > 0 && st.f === 0) {
    const l = Math.log(value);
    const a = Math.max(SIZE_ALPHA, 1 / (st.ln + 1));
    const d = l - st.lm;
    st.lm = roundSig(st.lm + a * d);
    st.lv = roundSig((1 - a) * (st.lv + a * d * d));
    if (st.ln < 1 / SIZE_ALPHA) st.ln++;
  }
}

/** The largest single value that is still ordinary: the decayed recent maximum or the p99.99 of the size model. */
function ordinaryMax(st: SeriesState): number {
  const tail = st.ln >= 20 ? Math.exp(st.lm + SIZE_TAIL_Z * Math.sqrt(st.lv)) : 0;
  return Math.max(st.mx, tail);
}

function slotMean(sm: number[], sc: number[], min: number, slot: number): number {
  if (sc[slot]! >= min) return sm[slot]!;
  const other = otherClassSlot(slot);
  if (sc[other]! >= min) return sm[other]!;
  return -1;
}

/**
 * Seasonal expectation for a slot: the highest of this hour and its two
 * neighbours (same day class), so a routine that starts a little early or
 * late (a batch job at 01:55, an early morning) is still expected. -1: no
 * history for this hour yet.
 */
export function seasonalEnvelope(sm: number[], sc: number[], min: number, slot: number): number {
  const here = slotMean(sm, sc, min, slot);
  if (here < 0) return -1;
  const base = slot < 24 ? 0 : 24;
  const h = slot - base;
  const before = slotMean(sm, sc, min, base + ((h + 23) % 24));
  const after = slotMean(sm, sc, min, base + ((h + 1) % 24));
  return Math.max(here, before, after);
}

function slotVar(sv: number[], sc: number[], min: number, slot: number): number {
  if (sc[slot]! >= min) return sv[slot]!;
  const other = otherClassSlot(slot);
  if (sc[other]! >= min) return sv[other]!;
  return 0;
}

/** Standard deviation matching `seasonalEnvelope`: the largest of the three slots (a bursty hour keeps its spread). */
export function seasonalEnvelopeSd(sv: number[], sc: number[], min: number, slot: number): number {
  const base = slot < 24 ? 0 : 24;
  const h = slot - base;
  return Math.sqrt(Math.max(slotVar(sv, sc, min, slot), slotVar(sv, sc, min, base + ((h + 23) % 24)), slotVar(sv, sc, min, base + ((h + 1) % 24))));
}

function seasonalExpected(st: SeriesState, p: SeriesParams, slot: number): number {
  if (!p.seasonal) return 0;
  return seasonalEnvelope(st.sm, st.sc, p.seasonalMinSamples, slot);
}

/**
 * Compute the open bucket's threshold from the closed history: the agent's
 * own when `ownAllowed` (past its learning period) and warmed up, else the
 * peer profile, else none (only `alwaysAt` can fire).
 */
export function arm(st: SeriesState, p: SeriesParams, peer: PeerSeries | null, ownAllowed = true): void {
  const slot = seasonSlot(st.b * p.bucketMs, p.tzOffsetMs);
  const seasonal = ownAllowed ? seasonalExpected(st, p, slot) : -1;
  if (ownAllowed && st.n >= p.warmupBuckets && seasonal >= 0) {
    const median = medianSorted(st.s);
    // Half the IQR stands in for the MAD here (O(1) per bucket); the evidence reports the exact MAD.
    const mad = halfIqrSorted(st.s);
    const sd = p.stdShare > 0 ? std(st.r, mean(st.r)) : 0;
    const expected = Math.max(median, seasonal);
    const seasonalSd = p.seasonal ? seasonalEnvelopeSd(st.sv, st.sc, p.seasonalMinSamples, slot) : 0;
    const spread = Math.max(MAD_TO_STD * mad, p.stdShare * sd, seasonalSd, p.poisson ? Math.sqrt(Math.max(expected, 1)) : 0, p.relSpreadFloor * expected, p.absSpreadFloor);
    st.e = expected;
    st.sp = spread;
    st.t = Math.max(expected + p.z * spread, p.minRatio * expected, p.minValue, expected + p.eventMaxFactor * ordinaryMax(st));
    st.src = SRC_AGENT;
    return;
  }
  if (peer && p.peerZ > 0 && peer.c[slot]! >= p.peerMinSamples) {
    const expected = peer.m[slot]!;
    const spread = Math.max(Math.sqrt(peer.v[slot]!), p.poisson ? Math.sqrt(Math.max(expected, 1)) : 0, p.relSpreadFloor * expected, p.absSpreadFloor);
    st.e = expected;
    st.sp = spread;
    st.t = Math.max(expected + p.peerZ * spread, p.minRatio * expected, p.minValue, expected + p.eventMaxFactor * ordinaryMax(st));
    st.src = SRC_PEER;
    return;
  }
  st.t = 0;
  st.src = SRC_NONE;
}

/** Move to `bucket` and make sure its threshold is known. Call before adding. */
export function touch(st: SeriesState, p: SeriesParams, bucket: number, peer: PeerSeries | null, ownAllowed = true): void {
  if (st.b !== bucket) advance(st, p, bucket, peer);
  if (st.t === -1) arm(st, p, peer, ownAllowed);
}

/**
 * True when the open bucket crosses its threshold (or the absolute ceiling),
 * and again each time it climbs into a higher score band (scoreBands.ts: where
 * the alert's severity steps up), so at most three times per bucket. Why: the
 * first crossing fires early, at a score near 0.5; an exfiltration that keeps
 * going must raise the alert's severity while it happens, not a bucket later.
 * `st.f` holds the highest band fired in this bucket (0 = none).
 */
export function crossed(st: SeriesState, p: SeriesParams): boolean {
  if (st.f >= 3) return false;
  if (!((st.t > 0 && st.x >= st.t) || st.x >= p.alwaysAt)) return false;
  const band = 3 - stepsBelowRule(seriesScore(st, p));
  if (band <= st.f) return false;
  st.f = band;
  return true;
}

export function seriesScore(st: SeriesState, p: SeriesParams): number {
  if (st.src !== SRC_NONE && st.t > 0 && st.x >= st.t) return scoreAgainst(st.x, st.e, st.t);
  if (st.x >= p.alwaysAt) return Math.min(1, 0.5 + 0.25 * (st.x / p.alwaysAt));
  return 0;
}

/** The baseline behind the open bucket's threshold, for an alert's evidence. */
export function seriesEvidence(st: SeriesState, p: SeriesParams, peer: PeerSeries | null): BaselineStats {
  if (st.src === SRC_PEER && peer) {
    const slot = seasonSlot(st.b * p.bucketMs, p.tzOffsetMs);
    const sd = Math.sqrt(peer.v[slot]!);
    return { mean: peer.m[slot]!, std: sd, median: null, mad: null, sampleSize: peer.c[slot]!, source: 'peer' };
  }
  if (st.src === SRC_AGENT) {
    const median = medianSorted(st.s);
    const mu = mean(st.r);
    return { mean: mu, std: std(st.r, mu), median, mad: madSorted(st.s, median), sampleSize: st.r.length, source: 'agent' };
  }
  return { mean: null, std: null, median: null, mad: null, sampleSize: 0, source: 'rule' };
}

export function snapshotSeries(st: SeriesState): Json {
  return [st.b, st.x, st.r, st.h, st.n, st.sm, st.sc, st.t, st.e, st.sp, st.src, st.f, st.bm, st.mx, st.sv, st.lm, st.lv, st.ln];
}

export function restoreSeries(json: Json): SeriesState {
  const a = json as [number, number, number[], number, number, number[], number[], number, number, number, number, number, number, number, number[], number, number, number];
  const r = [...a[2]];
  return { b: a[0], x: a[1], r, h: a[3], n: a[4], sm: [...a[5]], sc: [...a[6]], sv: [...a[14]], t: a[7], e: a[8], sp: a[9], src: a[10], f: a[11], bm: a[12], mx: a[13], lm: a[15], lv: a[16], ln: a[17], s: r.slice().sort((x, y) => x - y) };
}
