/**
 * A drift test for slow ramps: is the recent series rising in a straight
 * line from where it was? Each closed bucket contributes a standardised
 * residual z (observed against a reference the ramp cannot move quickly) and
 * a weight w = 1 / its noise sd (0 = the bucket says nothing). For a rise
 * that started n buckets ago, the residual of the bucket at age i (newest 0)
 * is modelled as slope x (n - i): a line through zero at the start, because
 * the reference is the level before the ramp. Weighted least squares gives
 * the slope and its z score, sum(w z j) / sqrt(sum(w^2 j^2)), a standard
 * normal when nothing rises. The test keeps the best run length between
 * `minRun` and `maxRun`.
 *
 * A step (a batch job) fits a line through zero worse than a ramp does, and
 * the caller caps each z, so one burst cannot pass for a ramp. O(window) per
 * evaluation with five running sums, no allocation. State: two small rings.
 */
import { roundSig } from './robust.js';
import type { Json } from '../types.js';

export interface DriftState {
  /** Ring of standardised residuals and weights (physical order), next write at h. */
  z: number[];
  w: number[];
  h: number;
  /** Fired in this rise (cleared when the statistic falls below half the alarm level). */
  f: number;
  /** The last evaluation's best z over every run length (any slope): "is it rising at all". */
  s: number;
}

export interface DriftResult {
  /** Best z among run lengths whose slope is at least minSlope, that run length and its slope (log units per bucket). */
  s: number;
  n: number;
  slope: number;
  /** Best z over every run length, whatever the slope. */
  any: number;
}

export function newDrift(): DriftState {
  return { z: [], w: [], h: 0, f: 0, s: 0 };
}

/** Append one bucket (values are rounded: the ring goes into snapshots). */
export function pushDrift(g: DriftState, z: number, w: number, size: number): void {
  const zr = roundSig(z);
  const wr = roundSig(w);
  if (g.z.length < size) {
    g.z.push(zr);
    g.w.push(wr);
    g.h = g.z.length % size;
  } else {
    g.z[g.h] = zr;
    g.w[g.h] = wr;
    g.h = (g.h + 1) % size;
  }
}

/** Evaluate the ring into `out`. */
export function evalDrift(g: DriftState, minRun: number, maxRun: number, minSlope: number, out: DriftResult): void {
  const len = g.z.length;
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let e = 0;
  // Best z^2 (positive z only) overall and among runs steep enough; square roots only at the end.
  let any2 = 0;
  let best2 = 0;
  let bestN = 0;
  let bestSlope = 0;
  let idx = (g.h - 1 + len) % len;
  const last = Math.min(len, maxRun);
  for (let i = 0; i < last; i++) {
    const w = g.w[idx]!;
    if (w > 0) {
      const wz = w * g.z[idx]!;
      const w2 = w * w;
      a += wz;
      b += i * wz;
      c += w2;
      d += i * w2;
      e += i * i * w2;
    }
    const n = i + 1;
    if (n >= minRun) {
      // With j = n - i: sum(w z j) = n a - b, sum(w^2 j^2) = n^2 c - 2 n d + e.
      const num = n * a - b;
      const den = n * n * c - 2 * n * d + e;
      if (num > 0 && den > 0) {
        const s2 = (num * num) / den;
        if (s2 > any2) any2 = s2;
        if (s2 > best2 && num >= minSlope * den) {
          best2 = s2;
          bestN = n;
          bestSlope = num / den;
        }
      }
    }
    idx = idx === 0 ? len - 1 : idx - 1;
  }
  out.s = Math.sqrt(best2);
  out.n = bestN;
  out.slope = bestSlope;
  out.any = Math.sqrt(any2);
}

export function snapshotDrift(g: DriftState): Json {
  return [g.z, g.w, g.h, g.f, g.s];
}

export function restoreDrift(json: Json): DriftState {
  const a = json as [number[], number[], number, number, number];
  return { z: [...a[0]], w: [...a[1]], h: a[2], f: a[3], s: a[4] };
}
