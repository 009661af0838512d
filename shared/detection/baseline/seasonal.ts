/**
 * The hour-of-day x day-class (weekday / weekend) profile: 48 slots, each an
 * EWMA mean and variance with a sample count. A slot with too little history
 * borrows the same hour of the other day class. The ±1-hour envelope (a
 * routine that starts a little early or late is still expected) is written
 * here once: `envelopeHigh` for the upper side, `envelopeLow` for the lower.
 */
import { ewmaMean, ewmaVariance, ewmaWeight } from './ewma.js';
import { roundSig } from './robust.js';
import { otherClassSlot } from '../time.js';

export const SEASON_SLOTS = 48;

export interface SeasonalProfile {
  means: Float64Array;
  variances: Float64Array;
  counts: Float64Array;
}

export function createSeasonal(): SeasonalProfile {
  return { means: new Float64Array(SEASON_SLOTS), variances: new Float64Array(SEASON_SLOTS), counts: new Float64Array(SEASON_SLOTS) };
}

/** Learn one value into a slot. Counting stops once the EWMA has taken over (it then no longer matters). */
export function learnSeasonal(p: SeasonalProfile, slot: number, value: number, alpha: number, minSamples: number): void {
  const c = p.counts[slot]!;
  const w = ewmaWeight(alpha, c);
  const m = p.means[slot]!;
  p.means[slot] = roundSig(ewmaMean(m, value, w));
  p.variances[slot] = roundSig(ewmaVariance(p.variances[slot]!, m, value, w));
  if (c < minSamples || c < 1 / alpha) p.counts[slot] = c + 1;
}

/** The slot that answers for `slot`: itself when it has `minSamples`, else the other day class's, else -1. */
export function answeringSlot(counts: ArrayLike<number>, minSamples: number, slot: number): number {
  if (counts[slot]! >= minSamples) return slot;
  const other = otherClassSlot(slot);
  return counts[other]! >= minSamples ? other : -1;
}

/** The two neighbours of a slot (same day class), before and after. */
export function neighbourBefore(slot: number): number {
  const base = slot < 24 ? 0 : 24;
  return base + ((slot - base + 23) % 24);
}
export function neighbourAfter(slot: number): number {
  const base = slot < 24 ? 0 : 24;
  return base + ((slot - base + 1) % 24);
}

function envelope(values: ArrayLike<number>, counts: ArrayLike<number>, minSamples: number, slot: number, high: boolean): number {
  const here = answeringSlot(counts, minSamples, slot);
  if (here < 0) return -1;
  let out = values[here]!;
  for (const n of [neighbourBefore(slot), neighbourAfter(slot)]) {
    const s = answeringSlot(counts, minSamples, n);
    if (s < 0) continue;
    const v = values[s]!;
    if (high ? v > out : v < out) out = v;
  }
  return out;
}

/** Highest expectation of the slot and its neighbours (-1: no history for this hour yet). */
export function envelopeHigh(means: ArrayLike<number>, counts: ArrayLike<number>, minSamples: number, slot: number): number {
  return envelope(means, counts, minSamples, slot, true);
}

/** Lowest expectation of the slot and its neighbours (-1: no history for this hour yet). */
export function envelopeLow(means: ArrayLike<number>, counts: ArrayLike<number>, minSamples: number, slot: number): number {
  return envelope(means, counts, minSamples, slot, false);
}

/** Standard deviation matching the envelope: the largest of the three slots (a bursty hour keeps its spread). */
export function envelopeSd(p: SeasonalProfile, minSamples: number, slot: number): number {
  const v = envelope(p.variances, p.counts, minSamples, slot, true);
  return v > 0 ? Math.sqrt(v) : 0;
}
