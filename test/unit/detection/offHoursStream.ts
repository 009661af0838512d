/**
 * The stream of the off-hours codec tests (offHours.test.ts), shared with the script that wrote
 * fixtures/offHoursV1.json from the code before the rename: an office-hours agent for three days with
 * activity at night on days 0 and 2, and the cut before day 2's night (past the learning day).
 */
import { DAY_MS, HOUR_MS, T0, event, merge, renumber, stream } from './helpers.js';
import type { DetectionEvent } from '../../../shared/detection/index.js';

const officeHours = (ts: number) => {
  const h = (ts % DAY_MS) / HOUR_MS;
  return h >= 9 && h < 17 ? 10 : 0.02;
};

export function nightsStream(): DetectionEvent[] {
  const night = (day: number, hour: number) => Array.from({ length: 15 }, (_, i) => event({ timestamp: T0 + day * DAY_MS + hour * HOUR_MS + i * 30_000 }));
  return renumber(merge(stream({ to: T0 + 3 * DAY_MS, perBucket: officeHours }), night(0, 1), night(2, 3)));
}

/** Index of the first event at or after day 2, 01:30 (the fixture is the state just before it). */
export function nightsCut(events: DetectionEvent[]): number {
  return events.findIndex((e) => e.timestamp >= T0 + 2 * DAY_MS + 1.5 * HOUR_MS);
}
