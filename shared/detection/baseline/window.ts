/**
 * A rolling window of the last `capacity` values in a typed-array ring, with
 * a sorted copy kept on insert, so the median and quartiles are O(1) and the
 * MAD O(n) with no allocation and no sort per bucket. The one ring of the
 * bucketed baselines; detectors compose it, none re-implements it.
 *
 * Both live in one Float64Array (sorted copy first, then the ring): every
 * series of every agent has a window, and each typed array costs ~200 bytes
 * of object and buffer bookkeeping besides its values (bench/memory.ts).
 */
import { MAD_TO_STD, madSorted } from './robust.js';

export interface RollingWindow {
  /**
   * [0, capacity): the values sorted ascending (only the first `count` are meaningful);
   * [capacity, 2 x capacity): the values in arrival order (a ring; the next write goes to capacity + head).
   */
  data: Float64Array;
  capacity: number;
  head: number;
  count: number;
}

export function createWindow(capacity: number): RollingWindow {
  return { data: new Float64Array(2 * capacity), capacity, head: 0, count: 0 };
}

function lowerBound(sorted: Float64Array, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Append a value, evicting the oldest once full. */
export function pushWindow(w: RollingWindow, value: number): void {
  const cap = w.capacity;
  const s = w.data;
  if (w.count === cap) {
    const old = s[cap + w.head]!;
    s[cap + w.head] = value;
    w.head = (w.head + 1) % cap;
    // Common for quiet series (a zero replaces a zero): the sorted copy does not change.
    if (old === value) return;
    const at = lowerBound(s, cap, old);
    s.copyWithin(at, at + 1, cap);
    w.count--;
  } else {
    s[cap + w.head] = value;
    w.head = (w.head + 1) % cap;
  }
  const n = w.count;
  const at = lowerBound(s, n, value);
  s.copyWithin(at + 1, at, n);
  s[at] = value;
  w.count = n + 1;
}

export function windowMedian(w: RollingWindow): number {
  const n = w.count;
  if (n === 0) return 0;
  const mid = n >>> 1;
  return n % 2 === 1 ? w.data[mid]! : (w.data[mid - 1]! + w.data[mid]!) / 2;
}

/** Half the interquartile range: the MAD for symmetric data, O(1). */
export function windowHalfIqr(w: RollingWindow): number {
  const n = w.count;
  if (n < 2) return 0;
  return (w.data[Math.ceil(0.75 * (n - 1))]! - w.data[Math.floor(0.25 * (n - 1))]!) / 2;
}

export function windowMean(w: RollingWindow): number {
  const n = w.count;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += w.data[i]!;
  return sum / n;
}

/** Population standard deviation around `mean`. */
export function windowStd(w: RollingWindow, mean: number): number {
  const n = w.count;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = w.data[i]! - mean;
    sum += d * d;
  }
  return Math.sqrt(sum / n);
}

/** Exact median absolute deviation (evidence only: O(n) merge outwards from the median). */
export function windowMad(w: RollingWindow, median: number): number {
  return madSorted(w.data, median, w.count);
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
  for (let k = 0; k < w.count; k++) out.push(w.data[cap + ((start + k) % cap)]!);
  return out;
}

/** Rebuild a window from values oldest first (the inverse of `windowValues`). */
export function windowFrom(capacity: number, valuesOldestFirst: readonly number[]): RollingWindow {
  const w = createWindow(capacity);
  for (const v of valuesOldestFirst.slice(-capacity)) pushWindow(w, v);
  return w;
}
