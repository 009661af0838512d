/**
 * A rolling window of the last `capacity` values in a typed-array ring: the
 * one ring of the bucketed baselines; detectors compose it, none
 * re-implements it.
 *
 * Only the ring is kept. Order statistics (median, quartiles, MAD) sort the
 * values into one module-level scratch array when asked, which happens about
 * once per bucket per series (when its thresholds are computed); the sort is
 * remembered until the window changes, so the median, the spread and the
 * evidence of one bucket sort once. Every series of every agent has a window:
 * a sorted copy kept on insert doubled it to save a 24-value insertion sort
 * per bucket (bench/memory.ts).
 *
 * The ring is float32, and may live inside a larger array (a series keeps its
 * window and its seasonal profile in one, and the series of one detector state
 * share one, arena.ts: each typed array costs ~190 bytes of bookkeeping besides
 * its values). Values are learned rounded to 4 decimals
 * (robust.ts roundSig) and read back through roundSig, which returns the
 * exact value learned for every |value| < 1,024 (float32's step there is
 * 6.1e-5, under half the 1e-4 rounding; the first miss is 1024.0003) and
 * every integer below 2^24; beyond, the read is within float32's relative
 * 6e-8 of it.
 */
import { MAD_TO_STD, madSorted, roundSig } from './robust.js';

export interface RollingWindow {
  /**
   * [base, base + capacity): the values in arrival order, a ring whose next write goes to base + `head` (only
   * the first `count` are filled until it is full). The rest of `data`, if any, belongs to someone else.
   */
  data: Float32Array;
  base: number;
  capacity: number;
  head: number;
  count: number;
}

/** A window in its own array, or in `data` from `base` on (`capacity` entries of it). */
export function createWindow(capacity: number, data = new Float32Array(capacity), base = 0): RollingWindow {
  return { data, base, capacity, head: 0, count: 0 };
}

/** The scratch the values are sorted into, and the window it holds the sort of (null: none). */
let sortedScratch = new Float64Array(64);
let sortedWindow: RollingWindow | null = null;

/** The window's values sorted ascending, in the scratch (the first `count` entries; valid until the next call). */
function sorted(w: RollingWindow): Float64Array {
  if (sortedWindow === w) return sortedScratch;
  const n = w.count;
  if (sortedScratch.length < n) sortedScratch = new Float64Array(2 * n);
  const out = sortedScratch;
  const ring = w.data;
  const base = w.base;
  // Insertion sort: 24 values, no allocation (a typed-array sort needs a subarray view per call).
  for (let i = 0; i < n; i++) {
    const value = roundSig(ring[base + i]!);
    let j = i - 1;
    while (j >= 0 && out[j]! > value) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = value;
  }
  sortedWindow = w;
  return out;
}

/**
 * Append a value, evicting the oldest once full. When the scratch holds this window's sort (a series reads its
 * median just before it learns a bucket), the sort is updated in place (the evicted value out, the new one in,
 * O(n)) rather than dropped, so the thresholds computed right after do not sort again: the same values, read
 * through roundSig as `sorted` reads them, so the same order to the bit.
 */
export function pushWindow(w: RollingWindow, value: number): void {
  const at = w.base + w.head;
  if (sortedWindow === w) {
    const out = sortedScratch;
    let n = w.count;
    if (n === w.capacity) n = removeSorted(out, n, roundSig(w.data[at]!));
    w.data[at] = value;
    if (n < 0 || n >= out.length) sortedWindow = null;
    else insertSorted(out, n, roundSig(w.data[at]!));
  } else w.data[at] = value;
  w.head = (w.head + 1) % w.capacity;
  if (w.count < w.capacity) w.count++;
}

/** Remove one `value` from the first `n` sorted entries; returns the new length (-1: not there, the sort is stale). */
function removeSorted(out: Float64Array, n: number, value: number): number {
  let i = 0;
  while (i < n && out[i] !== value) i++;
  if (i === n) return -1;
  for (; i < n - 1; i++) out[i] = out[i + 1]!;
  return n - 1;
}

/** Insert `value` into the first `n` sorted entries (room for one more is there). */
function insertSorted(out: Float64Array, n: number, value: number): void {
  let j = n - 1;
  while (j >= 0 && out[j]! > value) {
    out[j + 1] = out[j]!;
    j--;
  }
  out[j + 1] = value;
}

export function windowMedian(w: RollingWindow): number {
  const n = w.count;
  if (n === 0) return 0;
  const s = sorted(w);
  const mid = n >>> 1;
  return n % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Half the interquartile range: the MAD for symmetric data. */
export function windowHalfIqr(w: RollingWindow): number {
  const n = w.count;
  if (n < 2) return 0;
  const s = sorted(w);
  return (s[Math.ceil(0.75 * (n - 1))]! - s[Math.floor(0.25 * (n - 1))]!) / 2;
}

// Mean and std sum in ascending order (the sort is there anyway): the same sums, to the last bit, as the
// sorted copy gave, so dropping it changed no threshold.
export function windowMean(w: RollingWindow): number {
  const n = w.count;
  if (n === 0) return 0;
  const s = sorted(w);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i]!;
  return sum / n;
}

/** Population standard deviation around `mean`. */
export function windowStd(w: RollingWindow, mean: number): number {
  const n = w.count;
  if (n === 0) return 0;
  const s = sorted(w);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = s[i]! - mean;
    sum += d * d;
  }
  return Math.sqrt(sum / n);
}

/** Exact median absolute deviation (evidence only: O(n) merge outwards from the median). */
export function windowMad(w: RollingWindow, median: number): number {
  return madSorted(sorted(w), median, w.count);
}

/** A robust spread estimate of the window: the larger of the scaled half-IQR and `stdShare` of the std. */
export function windowSpread(w: RollingWindow, stdShare: number): number {
  const iqr = MAD_TO_STD * windowHalfIqr(w);
  if (stdShare <= 0) return iqr;
  return Math.max(iqr, stdShare * windowStd(w, windowMean(w)));
}

/** The values oldest first (for codecs and evidence). */
export function windowValues(w: RollingWindow): number[] {
  const cap = w.capacity;
  const out: number[] = [];
  const start = w.count === cap ? w.head : 0;
  for (let k = 0; k < w.count; k++) out.push(roundSig(w.data[w.base + ((start + k) % cap)]!));
  return out;
}

/** Refill an empty window from values oldest first (the inverse of `windowValues`). */
export function fillWindow(w: RollingWindow, valuesOldestFirst: readonly number[]): RollingWindow {
  for (const v of valuesOldestFirst.slice(-w.capacity)) pushWindow(w, v);
  return w;
}
