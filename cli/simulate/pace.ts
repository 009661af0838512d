/**
 * Plays a generated scenario in compressed time: the scenario's span of event
 * time passes in `durationMs` of wall-clock time, events leave in arrival
 * order, in batches. Shared by `warden simulate` and the demo.
 */
import type { DetectionEvent } from '../../shared/detection/index.js';
import type { Forgery, OutgoingEvent } from './publisher.js';

export interface PaceProgress {
  elapsedMs: number;
  /** Simulated (event) time of the last event sent. */
  simulatedTimeMs: number;
  /** 0..1 of the scenario's span. */
  fraction: number;
  published: number;
  eventsPerSecond: number;
}

/** What is played: events in arrival order, their arrival times, and the span (a generated Scenario fits). */
export interface Timeline {
  events: readonly DetectionEvent[];
  arrivals: Float64Array;
  startTs: number;
  endTs: number;
}

export interface PaceOptions {
  durationMs: number;
  send: (batch: OutgoingEvent[]) => Promise<void>;
  /** Asked before each valid event leaves; false = the agent does not take that action (its kill switch said no). */
  admit?: (event: DetectionEvent) => boolean;
  onTick?: (p: PaceProgress) => void;
  tickMs?: number;
  maxBatch?: number;
}

/** The wire form of a generated event: forged ones carry their forgery, valid ones are signed by the publisher. */
export function outgoing(e: DetectionEvent): OutgoingEvent {
  const { verification, ...event } = e;
  return { event, forge: verification === 'valid' ? undefined : (verification as Forgery) };
}

export async function pace(t: Timeline, o: PaceOptions): Promise<{ published: number; withheld: number }> {
  const t0 = Date.now();
  const span = Math.max(1, t.endTs - t.startTs);
  const maxBatch = o.maxBatch ?? 5000;
  const tickMs = o.tickMs ?? 500;
  let next = 0;
  let published = 0;
  let withheld = 0;
  let lastTick = t0;
  let lastCount = 0;
  let rate = 0;
  let simNow = t.startTs;
  const tick = (force: boolean) => {
    const wall = Date.now();
    if (!force && wall - lastTick < tickMs) return;
    if (wall > lastTick) rate = ((published - lastCount) * 1000) / (wall - lastTick);
    lastTick = wall;
    lastCount = published;
    // Progress is what has left, not what the clock says should have: a slow cluster shows as lag, not as 100%.
    const simulatedTimeMs = next >= t.events.length ? t.endTs : Math.min(simNow, next > 0 ? t.arrivals[next - 1]! : t.startTs);
    o.onTick?.({ elapsedMs: wall - t0, simulatedTimeMs, fraction: (simulatedTimeMs - t.startTs) / span, published, eventsPerSecond: rate });
  };
  while (next < t.events.length) {
    simNow = t.startTs + (span * (Date.now() - t0)) / o.durationMs;
    const batch: OutgoingEvent[] = [];
    while (next < t.events.length && t.arrivals[next]! <= simNow && batch.length < maxBatch) {
      const e = t.events[next++]!;
      if (o.admit && e.verification === 'valid' && !o.admit(e)) {
        withheld += 1;
        continue;
      }
      batch.push(outgoing(e));
    }
    if (batch.length > 0) {
      await o.send(batch);
      published += batch.length;
    } else {
      // Nothing due yet: wait for simulated time to reach the next arrival (at most 20 ms of wall time).
      await new Promise((r) => setTimeout(r, 20));
    }
    tick(false);
  }
  simNow = t.endTs;
  tick(true);
  return { published, withheld };
}
