/**
 * Sustained shifts: a two-sided CUSUM (Page, 1954) over a series' closed
 * buckets, in calibrated spreads. A per-bucket threshold misses what stays
 * under it for hours: a level shift to twice the usual, an exfiltration paced
 * at 0.75 of the alert threshold per bucket, failed logins one under the
 * floor. The CUSUM adds up each bucket's excess over its expectation beyond
 * an allowance of ALLOWANCE spreads and fires when the sum reaches
 * DECISION_SPREADS, so a 3-spread shift shows in about 6 buckets and a
 * 2.5-spread one in 8, with the horizon and the total in the evidence.
 * Shifts under about 2.2 spreads do not add up within MAX_HORIZON: on the
 * labelled fleet (heavy-tailed, chained tasks) a smaller allowance turned
 * ordinary half-hour tasks into alerts.
 *
 * Why these choices:
 * - Residuals are in the series' calibrated spread (spread x upperZ / z, the
 *   tail calibration of series.ts), so a bursty series needs a larger
 *   sustained excess than a quiet one: the same decision means about the
 *   same surprise everywhere.
 * - One bucket counts at most RESIDUAL_CLIP spreads: a single spike is the
 *   spike rule's job and must not fire a shift on its own.
 * - Self-calibrated decision: each side also keeps the tail of its own sums
 *   (tail.ts, learned capped at half the decision), and decides at the larger of
 *   DECISION_SPREADS and the sum it reaches by chance once in 1,000 buckets.
 *   A series the baseline under-fits in a slow way (a daily cycle that a
 *   non-seasonal baseline does not model, autocorrelated noise) builds up
 *   sums every day and so needs a larger one; a well-fitted series keeps the
 *   plain decision.
 * - While a side builds up, the baseline does not learn the suspected
 *   shift: the bucket is learned capped at the expectation plus ALLOWANCE
 *   spreads (`shiftLearningCap`), and the side's spread is frozen where its
 *   sum left zero. Otherwise the rolling baseline learns a shift inside its
 *   acceptance band within a few buckets (and its spread widens as the
 *   window mixes old and new values), and a sustained shift is absorbed
 *   before it adds up. The expectation itself keeps moving with the
 *   seasonal profile (a morning ramp-up is not a shift).
 * - A build-up that has not reached the decision within MAX_HORIZON buckets
 *   starts again: what takes longer is a slow drift, the slow-ramp
 *   detector's job, and a slow daily cycle that a non-seasonal baseline does
 *   not model must not add up for hours.
 * - After firing, the side rests for `restBuckets` (the rolling window), in
 *   which the baseline either learns the new level (a legitimate new normal
 *   costs one alert, not one a day) or the spike rules keep judging it.
 * - An absolute floor of the rule (`minValue`) applies to the total excess
 *   over the horizon, not per bucket: splitting a burst under the floor does
 *   not hide it.
 */
import { learnTail, tailThreshold, type TailModel } from './tail.js';

/** One side (up or down) of the tracker. */
export interface ShiftSide {
  /** Accumulated excess beyond the expectation on this side, in calibrated spreads (0: nothing building up). */
  sum: number;
  /** Buckets since the sum last left zero, and the excess over them in the metric's unit. */
  buckets: number;
  excess: number;
  /** The calibrated spread this side is judged in while it builds up (frozen when it starts). */
  referenceSpread: number;
  /** The tail of this side's own sums (calibration of its decision). */
  tail: TailModel;
}

export interface ShiftTracker {
  upper: ShiftSide;
  lower: ShiftSide;
  /** Buckets left before either side may fire again. */
  restBuckets: number;
}

/** Chance per bucket at which a side's own sums set its decision (when above DECISION_SPREADS). */
const CHANCE_PER_BUCKET = 1e-3;
/** A side's tail learns its sums capped at this share of the decision: a real shift barely raises the next decision. */
const LEARN_SHARE = 0.5;

/** Spreads of excess per bucket that a series is allowed without building up (smaller shifts are ignored). */
export const ALLOWANCE = 1.5;
/** Accumulated spreads at which a shift is declared. */
export const DECISION_SPREADS = 8;
/** The most one bucket adds, in spreads. */
export const RESIDUAL_CLIP = 4;
/** Buckets a build-up may take to reach the decision (an hour of five-minute buckets). */
const MAX_HORIZON = 12;

function createSide(): ShiftSide {
  return { sum: 0, buckets: 0, excess: 0, referenceSpread: 0, tail: createSumTail() };
}

export function createShift(): ShiftTracker {
  return { upper: createSide(), lower: createSide(), restBuckets: 0 };
}

/** A deep copy (snapshots). */
export function copyShift(t: ShiftTracker): ShiftTracker {
  const side = (x: ShiftSide): ShiftSide => ({ ...x, tail: { ...x.tail } });
  return { upper: side(t.upper), lower: side(t.lower), restBuckets: t.restBuckets };
}

/** A tail that starts where a well-fitted series' sums are: mostly zero, so the plain decision binds. */
function createSumTail(): TailModel {
  return { quantile: 0, meanExcess: 0.5 };
}

/** The sum at which a side decides. */
export function decisionOf(tail: TailModel): number {
  return Math.max(DECISION_SPREADS, tailThreshold(tail, CHANCE_PER_BUCKET));
}

/** A shift found when a bucket closed: which side, over how many buckets, and how much beyond the expectation. */
export interface ShiftVerdict {
  side: 'up' | 'down';
  horizonBuckets: number;
  /** Total excess over the horizon (above or below the expectations), in the metric's unit. */
  excess: number;
  /** Accumulated calibrated spreads (>= DECISION_SPREADS). */
  sum: number;
  score: number;
}

export interface ShiftInput {
  value: number;
  expectedHigh: number;
  expectedLow: number;
  /** Spreads for each side, already calibrated (spread x side z / rule z). */
  upperSpread: number;
  lowerSpread: number;
  watchUp: boolean;
  watchDown: boolean;
  /** Minimum total excess over the horizon (the rule's absolute floor; 0: none). */
  minExcess: number;
  restAfterFire: number;
}

const clip = (r: number): number => (r > RESIDUAL_CLIP ? RESIDUAL_CLIP : r < -RESIDUAL_CLIP ? -RESIDUAL_CLIP : r);

/** Score of a declared shift: 0.5 at the decision, growing with the evidence beyond it (a LOW to MEDIUM alert). */
function shiftScore(sum: number, decision: number): number {
  return Math.min(0.75, 0.5 + (0.25 * (sum - decision)) / decision);
}

/**
 * Learn one bucket into one side: `deviation` is how far the value is beyond the expectation towards that side
 * (above for the upper side, below for the lower). Returns the side's decision when its sum reaches it, else 0.
 */
function observeSide(side: ShiftSide, deviation: number, spread: number, minExcess: number): number {
  if (side.sum === 0) side.referenceSpread = spread;
  const sum = side.sum + clip(deviation / Math.min(spread, side.referenceSpread)) - ALLOWANCE;
  if (sum > 0 && side.buckets < MAX_HORIZON) {
    side.sum = sum;
    side.buckets++;
    side.excess += deviation;
  } else resetSide(side);
  const decision = decisionOf(side.tail);
  learnTail(side.tail, Math.min(side.sum, LEARN_SHARE * decision));
  return side.sum >= decision && side.excess >= minExcess ? decision : 0;
}

function verdictOf(side: ShiftSide, direction: 'up' | 'down', decision: number): ShiftVerdict {
  return { side: direction, horizonBuckets: side.buckets, excess: side.excess, sum: side.sum, score: shiftScore(side.sum, decision) };
}

/** Learn one closed bucket; returns a verdict when a side reaches its decision. */
export function observeShift(t: ShiftTracker, input: ShiftInput): ShiftVerdict | null {
  if (t.restBuckets > 0) {
    t.restBuckets--;
    return null;
  }
  let verdict: ShiftVerdict | null = null;
  if (input.watchUp && input.upperSpread > 0) {
    const decision = observeSide(t.upper, input.value - input.expectedHigh, input.upperSpread, input.minExcess);
    if (decision > 0) verdict = verdictOf(t.upper, 'up', decision);
  }
  if (input.watchDown && input.lowerSpread > 0 && input.expectedLow > 0) {
    const decision = observeSide(t.lower, input.expectedLow - input.value, input.lowerSpread, input.minExcess);
    if (decision > 0 && verdict === null) verdict = verdictOf(t.lower, 'down', decision);
  }
  if (verdict) {
    resetShift(t);
    t.restBuckets = input.restAfterFire;
  }
  return verdict;
}

/** The value the baseline may learn from this bucket: a side that is building up keeps its shift out of it. */
export function shiftLearningCap(t: ShiftTracker, input: ShiftInput, value: number): number {
  if (t.upper.sum > 0) {
    const cap = input.expectedHigh + ALLOWANCE * t.upper.referenceSpread;
    if (value > cap) return cap;
  }
  if (t.lower.sum > 0) {
    const floor = input.expectedLow - ALLOWANCE * t.lower.referenceSpread;
    if (value < floor) return floor;
  }
  return value;
}

/** Forget what was building up (a gap, or the baseline is not judged this bucket). */
export function resetShift(t: ShiftTracker): void {
  resetSide(t.upper);
  resetSide(t.lower);
}

function resetSide(side: ShiftSide): void {
  side.sum = 0;
  side.buckets = 0;
  side.excess = 0;
}
