/**
 * Generator of labelled univariate series for test/scenarios/univariate.ts
 * and the unit tests. Each series: a base level with optional daily
 * seasonality and noise (Gaussian, Poisson counts or heavy-tailed), then
 * labelled windows: spikes and dips (both directions), level shifts,
 * variance changes; plus unlabelled flat and all-zero stretches that must
 * not keep the baseline locked once they end.
 */
import type { Rng } from '../../cli/simulate/scenario/prng.js';

export interface AnomalyWindow {
  start: number;
  end: number;
  direction: 'up' | 'down';
  kind: string;
}

export interface LabelledSeries {
  kind: string;
  counts: boolean;
  values: number[];
  windows: AnomalyWindow[];
}

const POINTS = 2016; // a week of 5-minute buckets

const poisson = (rng: Rng, lambda: number): number => (lambda <= 0 ? 0 : rng.poisson(lambda));

export function buildUnivariate(rng: Rng, count: number): LabelledSeries[] {
  const kinds = ['gaussian', 'counts', 'seasonal-counts', 'heavy-tailed', 'flat-then-zero'] as const;
  const out: LabelledSeries[] = [];
  for (let n = 0; n < count; n++) {
    const kind = kinds[n % kinds.length]!;
    const level = Math.exp(rng.normal(Math.log(200), 1.5));
    const counts = kind === 'counts' || kind === 'seasonal-counts';
    const seasonal = kind === 'seasonal-counts';
    const base = (i: number) => {
      const day = (i % 288) / 288;
      return seasonal ? level * (0.6 + 0.4 * Math.sin(2 * Math.PI * day)) : level;
    };
    const noise = (mean: number, sdScale: number) => {
      if (counts) return poisson(rng, mean);
      if (kind === 'heavy-tailed') return mean * Math.exp(rng.normal(0, 0.5 * sdScale));
      return Math.max(0, mean + rng.normal(0, 0.1 * mean * sdScale));
    };
    const values: number[] = [];
    const windows: AnomalyWindow[] = [];
    let shift = 1;
    let sd = 1;
    for (let i = 0; i < POINTS; i++) values.push(0);
    // Labelled events at random places after the first day, spaced apart.
    const events: { at: number; type: string }[] = [];
    for (let at = 400; at < POINTS - 60; at += 250 + Math.floor(rng.next() * 100)) {
      const pick = ['spike', 'dip', 'shift-up', 'shift-down', 'variance'][Math.floor(rng.next() * 5)]!;
      events.push({ at, type: pick });
    }
    let zeroUntil = -1;
    if (kind === 'flat-then-zero') zeroUntil = 200 + 100; // zeros from 200 to 300, unlabelled: a quiet stretch
    let e = 0;
    for (let i = 0; i < POINTS; i++) {
      const ev = events[e];
      if (ev && i === ev.at) {
        e++;
        if (ev.type === 'spike') windows.push({ start: i, end: i + 2, direction: 'up', kind: 'spike' });
        if (ev.type === 'dip') windows.push({ start: i, end: i + 2, direction: 'down', kind: 'dip' });
        if (ev.type === 'shift-up') {
          shift *= 3;
          windows.push({ start: i, end: i + 12, direction: 'up', kind: 'level shift' });
        }
        if (ev.type === 'shift-down') {
          shift /= 3;
          windows.push({ start: i, end: i + 12, direction: 'down', kind: 'level shift' });
        }
        if (ev.type === 'variance') {
          // A variance rise is labelled; its return to normal later is not (nothing to alert on).
          sd = sd === 1 ? 6 : 1;
          if (sd > 1) windows.push({ start: i, end: i + 24, direction: 'up', kind: 'variance rise' });
        }
      }
      let v = noise(base(i) * shift, sd);
      const w = windows.at(-1);
      if (w && i >= w.start && i <= w.end && (w.kind === 'spike' || w.kind === 'dip')) v = w.kind === 'spike' ? v * 10 + 10 : v * 0.02;
      if (kind === 'flat-then-zero' && i >= 200 && i < zeroUntil) v = 0;
      values[i] = v;
    }
    out.push({ kind, counts, values, windows });
  }
  return out;
}
