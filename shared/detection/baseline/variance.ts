/**
 * A variance rise: a one-sided CUSUM on squared standardised residuals (the
 * scale-change chart of Hawkins & Olwell, Cumulative Sum Charts, 1998, 6.3).
 * A series whose noise grows 3-6x (a flapping sensor, a noisy neighbour, a
 * retry storm) rarely crosses a level threshold, and its excursions fall on
 * both sides, so neither side of the level CUSUM (shift.ts) adds up. Here
 * each observation adds min(r^2, CLIP) - ALLOWANCE, where r is its distance
 * from the expectation in calibrated spreads (0 inside the expected band),
 * and a rise is declared when the sum reaches the decision.
 *
 * Why these choices (r ~ N(0, s^2) per observation):
 * - ALLOWANCE 2: at s = 1 the sum drifts down by ~1 per observation; at s = 3
 *   it climbs ~4.4, at s = 4 ~6.3, at s = 2 ~1.7 (simulated), so DECISION 30
 *   is reached in ~7, ~5 and ~18 observations.
 * - CLIP 16 (r capped at 4): one spike adds at most 14, so a spike alone
 *   never fires this; it is the spike rule's.
 * - Self-calibrated decision, as in shift.ts: the tracker keeps the tail of
 *   its own sums (learned capped at half the decision) and decides at the
 *   larger of DECISION and the sum it reaches by chance once in 1,000
 *   observations, so a series the baseline under-fits (autocorrelated noise,
 *   a cycle the window lags behind) needs a larger build-up.
 * - A build-up longer than MAX_HORIZON starts again; after firing the
 *   tracker rests for a window, in which the baseline learns the new noise.
 */
import { learnTail, tailThreshold, type TailModel } from './tail.js';

export interface VarianceTracker {
  /** Accumulated excess of squared residuals (0: nothing building up). */
  sum: number;
  /** Observations since the sum last left zero. */
  buckets: number;
  /** The calibrated spread residuals are measured in while the sum builds up (frozen when it leaves zero). */
  referenceSpread: number;
  /** Observations left before it may fire again. */
  restBuckets: number;
  /** The tail of its own sums (calibration of the decision). */
  tail: TailModel;
}

export interface VarianceVerdict {
  horizonBuckets: number;
  sum: number;
  score: number;
}

const ALLOWANCE = 2;
const CLIP = 16;
export const VARIANCE_DECISION = 30;
const MAX_HORIZON = 48;
const CHANCE_PER_BUCKET = 1e-3;
const LEARN_SHARE = 0.5;

export function createVariance(): VarianceTracker {
  return { sum: 0, buckets: 0, referenceSpread: 0, restBuckets: 0, tail: { quantile: 0, meanExcess: 1 } };
}

/** A gap (silence) ends any build-up: the sum adds up over buckets that had activity, as the level CUSUM's does. */
export function resetVariance(t: VarianceTracker): void {
  t.sum = 0;
  t.buckets = 0;
}

export function copyVariance(t: VarianceTracker): VarianceTracker {
  return { ...t, tail: { ...t.tail } };
}

export function varianceDecision(t: VarianceTracker): number {
  return Math.max(VARIANCE_DECISION, tailThreshold(t.tail, CHANCE_PER_BUCKET));
}

/**
 * Learn one observation: `excess` is its distance outside the expected band (0 inside), `spread` the calibrated
 * spread it is judged in. While a sum builds up, the spread is frozen where it started: the rolling window
 * learns the noisier values (within its acceptance band) and would otherwise widen the spread and hide the
 * rise before it adds up. A verdict when the sum reaches the decision.
 */
export function observeVariance(t: VarianceTracker, excess: number, spread: number, restAfterFire: number): VarianceVerdict | null {
  if (t.restBuckets > 0) {
    t.restBuckets--;
    return null;
  }
  if (t.sum === 0) t.referenceSpread = spread;
  const residual = excess / Math.min(spread, t.referenceSpread);
  const r2 = residual * residual;
  const sum = t.sum + (r2 > CLIP ? CLIP : r2) - ALLOWANCE;
  if (sum > 0 && t.buckets < MAX_HORIZON) {
    t.sum = Math.round(sum * 1e4) / 1e4;
    t.buckets++;
  } else {
    t.sum = 0;
    t.buckets = 0;
  }
  const decision = varianceDecision(t);
  learnTail(t.tail, Math.min(t.sum, LEARN_SHARE * decision));
  if (t.sum < decision) return null;
  const verdict = { horizonBuckets: t.buckets, sum: t.sum, score: Math.min(0.75, 0.5 + (0.25 * (t.sum - decision)) / decision) };
  t.sum = 0;
  t.buckets = 0;
  t.restBuckets = restAfterFire;
  return verdict;
}
