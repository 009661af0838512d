/**
 * How both slow-ramp series use the drift test (baseline/drift.ts): push one closed bucket's
 * capped residual, evaluate, and fire once per rise; and the score of a fired rise.
 */
import { driftFrom, evalDrift, pushDrift, type DriftResult, type DriftState } from '../../baseline/drift.js';
import { roundSig } from '../../baseline/robust.js';
import type { RampThresholdValues } from './thresholds.js';

/** Append one bucket to a drift ring (room for the window is made on the first push). */
export function pushTrend(drift: DriftState, residual: number, weight: number, windowBuckets: number): void {
  pushDrift(drift, residual, weight, windowBuckets);
}

/** A ring of `length` empty buckets (weight 0: they say nothing, but they count towards a run's length). */
export function emptyTrend(length: number, windowBuckets: number): DriftState {
  const zeros = new Array<number>(length).fill(0);
  return driftFrom(zeros, zeros, length % windowBuckets, 0, 0, length > 0 ? windowBuckets : 0);
}

/**
 * Push one bucket and evaluate the drift into `verdict`: true when a rise first reaches h. The
 * rise stays fired (no second alert) until the statistic falls below h / 2, and always while
 * `holdFired` (the caller is still judging what the rise led to).
 */
export function judgeTrend(drift: DriftState, residual: number, weight: number, th: RampThresholdValues, verdict: DriftResult, holdFired = false): boolean {
  pushTrend(drift, Math.max(-th.zCap, Math.min(th.zCap, residual)), weight, th.windowBuckets);
  evalDrift(drift, th.minRunBuckets, th.windowBuckets, th.minSlope, verdict);
  drift.anyZ = roundSig(verdict.anyZ);
  if (drift.fired && !holdFired && verdict.anyZ < th.h / 2) drift.fired = 0;
  if (drift.fired || verdict.z < th.h) return false;
  drift.fired = 1;
  return true;
}

/** 0.5 at the alarm level, towards 1 as the rise's z passes it, more for a steeper slope. */
export function trendScore(verdict: DriftResult, h: number): number {
  return Math.min(1, 0.5 + 0.5 * (1 - h / verdict.z) + Math.max(0, verdict.slope - 0.03) * 2);
}
