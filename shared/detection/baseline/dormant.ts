/**
 * Dormant series: a series that has only ever closed zero buckets, contiguously (error counts, rare
 * actions), keeps no window and no profile, only its count of closed buckets; they are implied by it and
 * built (`materialise`) the first time they are needed, exactly as learning those zeros one by one would
 * have built them (test/unit/detection/dormantSeries.test.ts checks lazy against eager). Split from
 * series.ts, which decides when a series is dormant; this file holds what that means for its state.
 */
import { roundSig } from './robust.js';
import { learnPeer, type PeerSeries } from './peers.js';
import { SEASONAL_LENGTH, SEASON_SLOTS, learnSeasonal, slotSettled } from './seasonal.js';
import { createWindow, pushWindow, type RollingWindow } from './window.js';
import { joinArena, reserveArena, type BaselineArena } from './arena.js';
import { seasonSlot } from '../time.js';
import type { SeriesParams, SeriesState } from './series.js';
import type { TimeZone } from '../timeZone.js';

/** A zero closed by a dormant series: only counted (its window and profile are implied by the count). */
export function learnDormantZero(st: SeriesState, p: SeriesParams, bucket: number, peer: PeerSeries | null, zone: TimeZone): void {
  st.closedBuckets++;
  if (peer && st.closedBuckets > p.warmupBuckets) learnPeer(peer, seasonSlot(bucket * p.bucketMs, zone), 0, p.peerAlpha);
}

/**
 * The window and profile of a series, in one array (the profile right after the window): its own, or a slice of
 * `arena` (arena.ts). `profileBase` is where the profile starts (-1: the rule has none).
 */
export function createBaselines(p: SeriesParams, arena: BaselineArena | null = null): { window: RollingWindow; profileBase: number } {
  const length = p.windowBuckets + (p.seasonal ? SEASONAL_LENGTH : 0);
  let window: RollingWindow;
  if (arena === null) window = createWindow(p.windowBuckets, new Float32Array(length), 0);
  else {
    const base = reserveArena(arena, length);
    window = createWindow(p.windowBuckets, arena.data, base);
    joinArena(arena, window);
  }
  return { window, profileBase: p.seasonal ? window.base + p.windowBuckets : -1 };
}

/**
 * Build a dormant series' window and profile: exactly what learning its zero buckets one by one would have
 * built (a window of zeros; each slot's count of the zeros it saw, means and variances 0). Counting stops
 * at the slot's cap, so at most until every slot has settled, however long the series slept.
 */
export function materialise(st: SeriesState, p: SeriesParams, zone: TimeZone): void {
  if (st.window !== null) return;
  const { window, profileBase } = createBaselines(p, st.arena);
  for (let k = Math.min(st.closedBuckets, p.windowBuckets); k > 0; k--) pushWindow(window, 0);
  st.window = window;
  if (profileBase < 0) return;
  const data = window.data;
  let settled = 0;
  const first = st.openBucket - st.closedBuckets;
  for (let bucket = st.openBucket - 1; bucket >= first && settled < SEASON_SLOTS; bucket--) {
    const slot = seasonSlot(bucket * p.bucketMs, zone);
    if (slotSettled(data, profileBase, slot, p.seasonalAlpha, p.seasonalMinSamples)) continue;
    learnSeasonal(data, profileBase, slot, 0, p.seasonalAlpha, p.seasonalMinSamples);
    if (slotSettled(data, profileBase, slot, p.seasonalAlpha, p.seasonalMinSamples)) settled++;
  }
  st.profileBase = profileBase;
}

/**
 * Whether a dormant series stays dormant when it moves to `bucket`: its open bucket closes as a zero right after
 * the buckets it has learned and any gap is filled in full. Anything else (a value, a backwards move, a gap longer
 * than the fill) materialises it first.
 */
export function staysDormant(st: SeriesState, p: SeriesParams, bucket: number): boolean {
  if (st.openBucket < 0) return st.closedBuckets === 0;
  return bucket > st.openBucket && roundSig(st.openValue) === 0 && bucket - st.openBucket - 1 <= p.maxFillBuckets;
}
