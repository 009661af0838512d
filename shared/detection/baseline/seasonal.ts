/**
 * The hour-of-day x day-class (weekday / weekend) profile: 48 slots, each an
 * EWMA mean and variance with a sample count. A slot with too little history
 * borrows the same hour of the other day class. The ±1-hour envelope (a
 * routine that starts a little early or late is still expected) is written
 * here once: `envelopeHigh` for the upper side, `envelopeLow` for the lower.
 *
 * A profile is float32 and may live inside a larger array (a series keeps its
 * window and profile in one), read back through roundSig like the window
 * (window.ts: exact for what the baselines learn, within 6e-8 beyond).
 */
import { ewmaMean, ewmaVariance, ewmaWeight } from './ewma.js';
import { roundSig } from './robust.js';
import { otherClassSlot } from '../time.js';

export const SEASON_SLOTS = 48;
/** Where each part of a profile starts in its one array (one typed array per profile, not three: see window.ts). */
export const MEANS = 0;
export const VARIANCES = SEASON_SLOTS;
export const COUNTS = 2 * SEASON_SLOTS;

/** The entries a profile takes in its array. */
export const SEASONAL_LENGTH = 3 * SEASON_SLOTS;

export interface SeasonalProfile {
  /** From `base`: [MEANS, +48) EWMA means per slot; [VARIANCES, +48) EWMA variances; [COUNTS, +48) samples (capped). */
  data: Float32Array;
  base: number;
}

/** A profile in its own array, or in `data` from `base` on (SEASONAL_LENGTH entries of it). */
export function createSeasonal(data = new Float32Array(SEASONAL_LENGTH), base = 0): SeasonalProfile {
  return { data, base };
}

/** Learn one value into a slot. Counting stops once the EWMA has taken over (it then no longer matters). */
export function learnSeasonal(p: SeasonalProfile, slot: number, value: number, alpha: number, minSamples: number): void {
  const d = p.data;
  const at = p.base + slot;
  const c = d[at + COUNTS]!;
  const w = ewmaWeight(alpha, c);
  const m = roundSig(d[at + MEANS]!);
  d[at + MEANS] = roundSig(ewmaMean(m, value, w));
  d[at + VARIANCES] = roundSig(ewmaVariance(roundSig(d[at + VARIANCES]!), m, value, w));
  if (!countSettled(c, alpha, minSamples)) d[at + COUNTS] = c + 1;
}

function countSettled(count: number, alpha: number, minSamples: number): boolean {
  return count >= minSamples && count >= 1 / alpha;
}

/** Whether a slot has stopped counting (learning more changes only its mean and variance). */
export function slotSettled(p: SeasonalProfile, slot: number, alpha: number, minSamples: number): boolean {
  return countSettled(p.data[p.base + COUNTS + slot]!, alpha, minSamples);
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

/** A profile's envelopes (roundSig is monotonic: rounding the chosen slot is choosing among rounded slots). */
export function profileHigh(p: SeasonalProfile, minSamples: number, slot: number): number {
  return roundSig(envelope(p.data, p.data, minSamples, slot, true, p.base + MEANS, p.base + COUNTS));
}
export function profileLow(p: SeasonalProfile, minSamples: number, slot: number): number {
  return roundSig(envelope(p.data, p.data, minSamples, slot, false, p.base + MEANS, p.base + COUNTS));
}

/** The slot's own mean (or the other day class's when it has too little history); -1: no history for this hour yet. */
export function profileMean(p: SeasonalProfile, minSamples: number, slot: number): number {
  const here = answeringSlot(p.data, minSamples, slot, p.base + COUNTS);
  return here < 0 ? -1 : roundSig(p.data[p.base + MEANS + here]!);
}

/** Standard deviation matching the envelope: the largest of the three slots (a bursty hour keeps its spread). */
export function envelopeSd(p: SeasonalProfile, minSamples: number, slot: number): number {
  const v = roundSig(envelope(p.data, p.data, minSamples, slot, true, p.base + VARIANCES, p.base + COUNTS));
  return v > 0 ? Math.sqrt(v) : 0;
}

/** The profile's parts as plain arrays (for the codec). */
export function seasonalParts(p: SeasonalProfile): { means: number[]; variances: number[]; counts: number[] } {
  const part = (offset: number) => Array.from(p.data.subarray(p.base + offset, p.base + offset + SEASON_SLOTS), roundSig);
  return { means: part(MEANS), variances: part(VARIANCES), counts: part(COUNTS) };
}

/** Refill an empty profile from its parts (the inverse of `seasonalParts`). */
export function fillSeasonal(p: SeasonalProfile, parts: { means: readonly number[]; variances: readonly number[]; counts: readonly number[] }): SeasonalProfile {
  p.data.set(parts.means, p.base + MEANS);
  p.data.set(parts.variances, p.base + VARIANCES);
  p.data.set(parts.counts, p.base + COUNTS);
  return p;
}
