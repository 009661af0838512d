/**
 * Small robust-statistics kernels used at bucket close. They work in place on
 * sorted values (a window sorts into a scratch array once per bucket,
 * window.ts), so a median is O(1) and a MAD is O(n) with no allocation and
 * no sort per event.
 */

/** Scale that makes the MAD estimate a normal standard deviation. */
export const MAD_TO_STD = 1.4826;

export function insertSorted(sorted: number[], value: number): void {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  sorted.push(value);
  for (let i = sorted.length - 1; i > lo; i--) sorted[i] = sorted[i - 1]!;
  sorted[lo] = value;
}

export function removeSorted(sorted: number[], value: number): void {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= sorted.length || sorted[lo] !== value) return;
  for (let i = lo; i < sorted.length - 1; i++) sorted[i] = sorted[i + 1]!;
  sorted.pop();
}

export function medianSorted(sorted: number[]): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const mid = n >>> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Median absolute deviation from `median`, by merging the two sides of the sorted window outwards.
 * `n`: how many leading entries count (a fixed-size typed window holds more than it has filled).
 */
export function madSorted(sorted: ArrayLike<number>, median: number, n: number = sorted.length): number {
  if (n === 0) return 0;
  // Deviations left of the split grow as i goes down, right of it as j goes up.
  let j = 0;
  while (j < n && sorted[j]! < median) j++;
  let i = j - 1;
  const want = n >>> 1; // index of the (upper) median deviation
  let prev = 0;
  let cur = 0;
  for (let k = 0; k <= want; k++) {
    const left = i >= 0 ? median - sorted[i]! : Infinity;
    const right = j < n ? sorted[j]! - median : Infinity;
    prev = cur;
    if (left <= right) {
      cur = left;
      i--;
    } else {
      cur = right;
      j++;
    }
  }
  return n % 2 === 1 ? cur : (prev + cur) / 2;
}

/** Half the interquartile range: the MAD for symmetric data, in O(1) on a sorted window. */
export function halfIqrSorted(sorted: number[]): number {
  const n = sorted.length;
  if (n < 2) return 0;
  return (sorted[Math.ceil(0.75 * (n - 1))]! - sorted[Math.floor(0.25 * (n - 1))]!) / 2;
}

export function mean(values: number[]): number {
  if (values.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

/** Population standard deviation. */
export function std(values: number[], mu: number): number {
  if (values.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mu;
    s += d * d;
  }
  return Math.sqrt(s / values.length);
}

/**
 * Keep learned floats short in snapshots: 4 decimals, whole numbers from a million up. The same
 * rounding is applied in memory, so a JSON round trip changes nothing. (Arithmetic only: this runs
 * at every bucket close and must not allocate.)
 */
export function roundSig(value: number): number {
  if (value >= 1e6 || value <= -1e6) return Math.round(value);
  return Math.round(value * 1e4) / 1e4;
}

/**
 * `length` values of a typed array from `start`, each through roundSig: a learned part as a snapshot holds it.
 * A plain loop: Array.from(subarray, roundSig) goes through the iterator protocol and a callback per value, and
 * was a third of the time to build a warm agent's snapshot tree.
 */
export function roundedValues(data: Float32Array | Float64Array, start: number, length: number): number[] {
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) out[i] = roundSig(data[start + i]!);
  return out;
}

/** 0..1 score from how far `observed` is past the threshold: 0.5 at the threshold, -> 1 far above it. */
export function scoreAgainst(observed: number, expected: number, threshold: number): number {
  const span = threshold - expected;
  if (!(span > 0)) return observed >= threshold ? 0.75 : 0;
  const r = (observed - expected) / span;
  if (r <= 0) return 0;
  return r >= 1 ? 1 - 0.5 ** r : 0.5 * r;
}

/** P(X >= k) for X ~ Poisson(lambda). Exact sum for the small counts this is used on. */
export function poissonTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  let term = Math.exp(-lambda);
  let cdf = term;
  for (let i = 1; i < k; i++) {
    term *= lambda / i;
    cdf += term;
  }
  return Math.max(0, 1 - cdf);
}
