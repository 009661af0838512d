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
/** Where each part of a profile starts in its one array (one typed array per profile, not three: see window.ts). */
export const MEANS = 0;
export const VARIANCES = SEASON_SLOTS;
export const COUNTS = 2 * SEASON_SLOTS;

export interface SeasonalProfile {
  /** [MEANS, +48): EWMA means per slot; [VARIANCES, +48): EWMA variances; [COUNTS, +48): samples (capped). */
  data: Float64Array;
}

export function createSeasonal(): SeasonalProfile {
  return { data: new Float64Array(3 * SEASON_SLOTS) };
}

/** Learn one value into a slot. Counting stops once the EWMA has taken over (it then no longer matters). */
export function learnSeasonal(p: SeasonalProfile, slot: number, value: number, alpha: number, minSamples: number): void {
  const d = p.data;
  const c = d[COUNTS + slot]!;
  const w = ewmaWeight(alpha, c);
  const m = d[MEANS + slot]!;
  d[MEANS + slot] = roundSig(ewmaMean(m, value, w));
  d[VARIANCES + slot] = roundSig(ewmaVariance(d[VARIANCES + slot]!, m, value, w));
  if (!countSettled(c, alpha, minSamples)) d[COUNTS + slot] = c + 1;
}

function countSettled(count: number, alpha: number, minSamples: number): boolean {
  return count >= minSamples && count >= 1 / alpha;
}

/** Whether a slot has stopped counting (learning more changes only its mean and variance). */
export function slotSettled(p: SeasonalProfile, slot: number, alpha: number, minSamples: number): boolean {
  return countSettled(p.data[COUNTS + slot]!, alpha, minSamples);
}

/** The slot that answers for `slot`: itself when it has `minSamples`, else the other day class's, else -1. */
export function answeringSlot(counts: ArrayLike<number>, minSamples: number, slot: number, countBase = 0): number {
  if (counts[countBase + slot]! >= minSamples) return slot;
  const other = otherClassSlot(slot);
  return counts[countBase + other]! >= minSamples ? other : -1;
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

function envelope(values: ArrayLike<number>, counts: ArrayLike<number>, minSamples: number, slot: number, high: boolean, valueBase: number, countBase: number): number {
  const here = answeringSlot(counts, minSamples, slot, countBase);
  if (here < 0) return -1;
  let out = values[valueBase + here]!;
  for (const n of [neighbourBefore(slot), neighbourAfter(slot)]) {
    const s = answeringSlot(counts, minSamples, n, countBase);
    if (s < 0) continue;
    const v = values[valueBase + s]!;
    if (high ? v > out : v < out) out = v;
  }
  return out;
}

/**
 * Highest expectation of the slot and its neighbours (-1: no history for this hour yet). `means` and `counts`
 * are per-slot arrays (slow-ramp's), or one array with the parts at `meanBase` and `countBase` (a SeasonalProfile).
 */
export function envelopeHigh(means: ArrayLike<number>, counts: ArrayLike<number>, minSamples: number, slot: number, meanBase = 0, countBase = 0): number {
  return envelope(means, counts, minSamples, slot, true, meanBase, countBase);
}

/** Lowest expectation of the slot and its neighbours (-1: no history for this hour yet). */
export function envelopeLow(means: ArrayLike<number>, counts: ArrayLike<number>, minSamples: number, slot: number, meanBase = 0, countBase = 0): number {
  return envelope(means, counts, minSamples, slot, false, meanBase, countBase);
}

/** A profile's envelopes. */
export function profileHigh(p: SeasonalProfile, minSamples: number, slot: number): number {
  return envelope(p.data, p.data, minSamples, slot, true, MEANS, COUNTS);
}
export function profileLow(p: SeasonalProfile, minSamples: number, slot: number): number {
  return envelope(p.data, p.data, minSamples, slot, false, MEANS, COUNTS);
}

/** Standard deviation matching the envelope: the largest of the three slots (a bursty hour keeps its spread). */
export function envelopeSd(p: SeasonalProfile, minSamples: number, slot: number): number {
  const v = envelope(p.data, p.data, minSamples, slot, true, VARIANCES, COUNTS);
  return v > 0 ? Math.sqrt(v) : 0;
}

/** The profile's parts as plain arrays (for the codec). */
export function seasonalParts(p: SeasonalProfile): { means: number[]; variances: number[]; counts: number[] } {
  const part = (base: number) => Array.from(p.data.subarray(base, base + SEASON_SLOTS));
  return { means: part(MEANS), variances: part(VARIANCES), counts: part(COUNTS) };
}

/** Rebuild a profile from its parts (the inverse of `seasonalParts`). */
export function seasonalFrom(parts: { means: readonly number[]; variances: readonly number[]; counts: readonly number[] }): SeasonalProfile {
  const p = createSeasonal();
  p.data.set(parts.means, MEANS);
  p.data.set(parts.variances, VARIANCES);
  p.data.set(parts.counts, COUNTS);
  return p;
}
