/**
 * A second family of labelled univariate series for test/scenarios/univariate.ts: the shape of
 * machine metrics (a temperature, CPU %, a latency, a request rate far from zero) rather than of
 * agent counts. The level sits far above zero, the noise is a few % of it and autocorrelated
 * (AR(1)), some series drift slowly or follow a daily cycle much larger than the noise, and every
 * anomaly is sized in the series' own noise (spikes and dips of 6-12 sd, level shifts of 3-6 sd,
 * a variance rise of 3-5x), not in multiples of the level. A baseline whose threshold is bound by
 * the level (a ratio, a spread floor relative to the level) misses all of them; one bound by the
 * noise does not. Drawn from its own fork of the seed, so the first family's series do not change.
 */
import type { Rng } from '../../cli/simulate/scenario/prng.js';
import type { AnomalyWindow, LabelledSeries } from './univariateSeries.js';

const POINTS = 2016; // a week of 5-minute buckets

export function buildAdditive(rng: Rng, count: number): LabelledSeries[] {
  const kinds = ['offset-ar1', 'offset-seasonal', 'offset-drift'] as const;
  const out: LabelledSeries[] = [];
  for (let n = 0; n < count; n++) {
    const kind = kinds[n % kinds.length]!;
    const level = Math.max(200, Math.exp(rng.normal(Math.log(2000), 1)));
    const sd = level * rng.uniform(0.005, 0.05);
    const phi = rng.uniform(0, 0.7);
    // Innovation sd such that the AR(1) noise has marginal sd `sd`.
    const innovation = sd * Math.sqrt(1 - phi * phi);
    const amplitude = kind === 'offset-seasonal' ? sd * rng.uniform(5, 20) : 0;
    const driftStep = kind === 'offset-drift' ? sd * rng.uniform(0.02, 0.08) : 0;
    const windows: AnomalyWindow[] = [];
    const events: { at: number; type: string; size: number }[] = [];
    for (let at = 400; at < POINTS - 60; at += 250 + Math.floor(rng.next() * 100)) {
      const type = ['spike', 'dip', 'shift-up', 'shift-down', 'variance'][Math.floor(rng.next() * 5)]!;
      events.push({ at, type, size: type === 'variance' ? rng.uniform(3, 5) : type.startsWith('shift') ? rng.uniform(3, 6) : rng.uniform(6, 12) });
    }
    const values: number[] = [];
    let ar = 0;
    let drift = 0;
    let shift = 0;
    let noiseScale = 1;
    let e = 0;
    let point: { at: number; delta: number } | null = null;
    for (let i = 0; i < POINTS; i++) {
      const ev = events[e];
      if (ev && i === ev.at) {
        e++;
        if (ev.type === 'spike' || ev.type === 'dip') {
          point = { at: i, delta: (ev.type === 'spike' ? 1 : -1) * ev.size * sd };
          windows.push({ start: i, end: i, direction: ev.type === 'spike' ? 'up' : 'down', kind: ev.type });
        }
        if (ev.type === 'shift-up' || ev.type === 'shift-down') {
          const up = ev.type === 'shift-up';
          shift += (up ? 1 : -1) * ev.size * sd;
          windows.push({ start: i, end: i + 12, direction: up ? 'up' : 'down', kind: 'level shift' });
        }
        if (ev.type === 'variance') {
          // A rise is labelled; the return to normal at the next variance event is not.
          noiseScale = noiseScale === 1 ? ev.size : 1;
          if (noiseScale > 1) windows.push({ start: i, end: i + 24, direction: 'up', kind: 'variance rise' });
        }
      }
      ar = phi * ar + innovation * noiseScale * rng.normal(0, 1);
      // A random walk that is slow next to the noise: a baseline must follow it without alerting.
      drift += driftStep * rng.normal(0, 1);
      const season = amplitude * Math.sin((2 * Math.PI * (i % 288)) / 288);
      let v = level + drift + season + shift + ar;
      if (point && point.at === i) v += point.delta;
      values.push(Math.max(0, v));
    }
    out.push({ kind, counts: false, values, windows });
  }
  return out;
}
