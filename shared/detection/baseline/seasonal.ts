/**
 * The hour-of-day x day-class (weekday / weekend) profile: 48 slots, each an
 * EWMA mean and variance with a sample count. A slot with too little history
 * borrows the same hour of the other day class. The ±1-hour envelope (a
 * routine that starts a little early or late is still expected) is written
 * here once: `envelopeHigh` for the upper side, `envelopeLow` for the lower.
 *
 * A profile is SEASONAL_LENGTH float32 entries from `base` in a larger array
 * (a series keeps its window and profile in one, right after the window; no
 * object of its own: ~50 B each, ten per agent), read back through roundSig
 * like the window (window.ts: exact for what the baselines learn, within 6e-8
 * beyond).
 */
import { ewmaMean, ewmaVariance, ewmaWeight } from './ewma.js';
import { roundSig, roundedValues } from './robust.js';
import { otherClassSlot } from '../time.js';

export const SEASON_SLOTS = 48;
/** Where each part of a profile starts in its one array (one typed array per profile, not three: see window.ts). */
export const MEANS = 0;
export const VARIANCES = SEASON_SLOTS;
export const COUNTS = 2 * SEASON_SLOTS;

/** The entries a profile takes in its array. */
export const SEASONAL_LENGTH = 3 * SEASON_SLOTS;

/*
 * Every profile function takes the array and the profile's base: from it, [MEANS, +48) EWMA means per slot,
 * [VARIANCES, +48) EWMA variances, [COUNTS, +48) samples (capped).
 */

/** Learn one value into a slot. Counting stops once the EWMA has taken over (it then no longer matters). */
export function learnSeasonal(d: Float32Array, base: number, slot: number, value: number, alpha: number, minSamples: number): void {
  const at = base + slot;
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
export function slotSettled(data: Float32Array, base: number, slot: number, alpha: number, minSamples: number): boolean {
  return countSettled(data[base + COUNTS + slot]!, alpha, minSamples);
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
 * are per-slot arrays (slow-ramp's), or one array with the parts at `meanBase` and `countBase` (a profile).
 */
export function envelopeHigh(means: ArrayLike<number>, counts: ArrayLike<number>, minSamples: number, slot: number, meanBase = 0, countBase = 0): number {
  return envelope(means, counts, minSamples, slot, true, meanBase, countBase);
}

/** Lowest expectation of the slot and its neighbours (-1: no history for this hour yet). */
export function envelopeLow(means: ArrayLike<number>, counts: ArrayLike<number>, minSamples: number, slot: number, meanBase = 0, countBase = 0): number {
  return envelope(means, counts, minSamples, slot, false, meanBase, countBase);
}

/** A profile's envelopes (roundSig is monotonic: rounding the chosen slot is choosing among rounded slots). */
export function profileHigh(data: Float32Array, base: number, minSamples: number, slot: number): number {
  return roundSig(envelope(data, data, minSamples, slot, true, base + MEANS, base + COUNTS));
}
export function profileLow(data: Float32Array, base: number, minSamples: number, slot: number): number {
  return roundSig(envelope(data, data, minSamples, slot, false, base + MEANS, base + COUNTS));
}

/** The slot's own mean (or the other day class's when it has too little history); -1: no history for this hour yet. */
export function profileMean(data: Float32Array, base: number, minSamples: number, slot: number): number {
  const here = answeringSlot(data, minSamples, slot, base + COUNTS);
  return here < 0 ? -1 : roundSig(data[base + MEANS + here]!);
}

/** Standard deviation matching the envelope: the largest of the three slots (a bursty hour keeps its spread). */
export function envelopeSd(data: Float32Array, base: number, minSamples: number, slot: number): number {
  const v = roundSig(envelope(data, data, minSamples, slot, true, base + VARIANCES, base + COUNTS));
  return v > 0 ? Math.sqrt(v) : 0;
}

/** The profile's parts as plain arrays (for the codec). */
export function seasonalParts(data: Float32Array, base: number): { means: number[]; variances: number[]; counts: number[] } {
  const part = (offset: number) => roundedValues(data, base + offset, SEASON_SLOTS);
  return { means: part(MEANS), variances: part(VARIANCES), counts: part(COUNTS) };
}

/** Refill an empty profile from its parts (the inverse of `seasonalParts`). */
export function fillSeasonal(data: Float32Array, base: number, parts: { means: readonly number[]; variances: readonly number[]; counts: readonly number[] }): void {
  data.set(parts.means, base + MEANS);
  data.set(parts.variances, base + VARIANCES);
  data.set(parts.counts, base + COUNTS);
}
