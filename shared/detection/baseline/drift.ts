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
 * evaluation with five running sums, no allocation. State: one small float32 ring (each bucket's
 * z and w are rounded by roundSig when pushed and read back through it: exact below 1,024, see
 * window.ts; z is capped by the caller and w = 1 / sd stays far below that). Plain number arrays
 * cost ~290 bytes each for 30 values, four series x two rings per agent.
 */
import { roundSig, roundedValues } from './robust.js';
import type { Json } from '../types.js';

export interface DriftState {
  /**
   * The ring, physical order: standardised residuals at [0, capacity), their weights at [capacity, 2 capacity),
   * where capacity = ring.length / 2 (null until the first push). `length` buckets are held (it fills, then
   * turns); the next write goes to `head`.
   */
  ring: Float32Array | null;
  length: number;
  head: number;
  /** Fired in this rise, 0/1 (cleared when the statistic falls below half the alarm level). */
  fired: number;
  /** The last evaluation's best z over every run length (any slope): "is it rising at all". */
  anyZ: number;
}

export interface DriftResult {
  /** Best z among run lengths whose slope is at least minSlope, that run length and its slope (log units per bucket). */
  z: number;
  runBuckets: number;
  slope: number;
  /** Best z over every run length, whatever the slope. */
  anyZ: number;
}

export function newDrift(): DriftState {
  return { ring: null, length: 0, head: 0, fired: 0, anyZ: 0 };
}

/** Room for at least `capacity` buckets, keeping the ones held (in physical order). */
function reserve(g: DriftState, capacity: number): Float32Array {
  const old = g.ring;
  if (old !== null && old.length >= 2 * capacity) return old;
  const ring = new Float32Array(2 * capacity);
  if (old !== null) {
    const had = old.length / 2;
    ring.set(old.subarray(0, g.length), 0);
    ring.set(old.subarray(had, had + g.length), capacity);
  }
  g.ring = ring;
  return ring;
}

/** Append one bucket (values are rounded: the ring goes into snapshots). */
export function pushDrift(g: DriftState, z: number, w: number, size: number): void {
  let at: number;
  if (g.length < size) {
    reserve(g, size);
    at = g.length++;
    g.head = g.length % size;
  } else {
    at = g.head;
    g.head = (g.head + 1) % size;
  }
  const ring = g.ring!;
  ring[at] = roundSig(z);
  ring[ring.length / 2 + at] = roundSig(w);
}

/** Evaluate the ring into `out`. */
export function evalDrift(g: DriftState, minRun: number, maxRun: number, minSlope: number, out: DriftResult): void {
  const len = g.length;
  const ring = g.ring;
  const cap = ring === null ? 0 : ring.length / 2;
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
  let idx = (g.head - 1 + len) % len;
  const last = ring === null ? 0 : Math.min(len, maxRun);
  for (let i = 0; i < last; i++) {
    const w = roundSig(ring![cap + idx]!);
    if (w > 0) {
      const wz = w * roundSig(ring![idx]!);
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
  out.z = Math.sqrt(best2);
  out.runBuckets = bestN;
  out.slope = bestSlope;
  out.anyZ = Math.sqrt(any2);
}

/** The residuals and the weights held, physical order (the same numbers as when they were plain arrays). */
export function driftParts(g: DriftState): { z: number[]; w: number[] } {
  const ring = g.ring;
  if (ring === null) return { z: [], w: [] };
  const cap = ring.length / 2;
  return { z: roundedValues(ring, 0, g.length), w: roundedValues(ring, cap, g.length) };
}

/** A ring holding `z` and `w` (physical order), with room for `capacity` buckets (at least as many as it holds). */
export function driftFrom(z: readonly number[], w: readonly number[], head: number, fired: number, anyZ: number, capacity = z.length): DriftState {
  const g: DriftState = { ring: null, length: 0, head, fired, anyZ };
  const cap = Math.max(capacity, z.length);
  if (cap > 0) {
    const ring = reserve(g, cap);
    ring.set(z, 0);
    ring.set(w.slice(0, z.length), cap);
  }
  g.length = z.length;
  return g;
}

export function snapshotDrift(g: DriftState): Json {
  const { z, w } = driftParts(g);
  return { residuals: z, weights: w, head: g.head, fired: g.fired, anyZ: g.anyZ };
}

const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * Named fields; or the positional tuple [residuals, weights, head, fired, anyZ] that slow-ramp snapshots held
 * before 2026-12-04 (its codec versions 1 and 2), read the same way. Snapshots are input: a malformed one throws.
 */
export function restoreDrift(json: Json): DriftState {
  const o = (Array.isArray(json) ? { residuals: json[0], weights: json[1], head: json[2], fired: json[3], anyZ: json[4] } : (json ?? {})) as Record<string, Json | undefined>;
  const { residuals, weights, head, fired, anyZ } = o;
  if (!isNumbers(residuals) || !isNumbers(weights) || weights.length < residuals.length) throw new Error('drift snapshot: residuals and weights are not numeric arrays of one length');
  if (typeof head !== 'number' || typeof fired !== 'number' || typeof anyZ !== 'number') throw new Error('drift snapshot: head, fired or anyZ is not a number');
  return driftFrom(residuals, weights, head, fired, anyZ);
}
