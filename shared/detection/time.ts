/**
 * Event-time helpers. Everything is integer arithmetic on epoch ms (no Date,
 * no clock): hour-of-week 0 is Monday 00:00 in the agent's zone (timeZone.ts:
 * its offset at the instant asked about, so daylight saving is followed).
 */
import type { TimeZone } from './timeZone.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_HOURS = 168;

/** Hours since the epoch in local time (1970-01-01 was a Thursday: hour-of-week 72). */
export function epochHour(ts: number, zone: TimeZone): number {
  return Math.floor((ts + zone.offsetAt(ts)) / HOUR_MS);
}

export function hourOfWeekFromEpochHour(epochHourValue: number): number {
  return (((epochHourValue + 72) % WEEK_HOURS) + WEEK_HOURS) % WEEK_HOURS;
}

export function hourOfWeek(ts: number, zone: TimeZone): number {
  return hourOfWeekFromEpochHour(epochHour(ts, zone));
}

/** 0 = weekday, 1 = weekend (Saturday, Sunday). */
export function dayClassOfHourOfWeek(how: number): 0 | 1 {
  return how >= 120 ? 1 : 0;
}

let memoHour = NaN;
let memoSlot = 0;

/** Seasonal profile slot: day class x hour of day, 0..47. (Memoised on the local hour: events come in time order.) */
export function seasonSlot(ts: number, zone: TimeZone): number {
  const h = epochHour(ts, zone);
  if (h === memoHour) return memoSlot;
  const how = hourOfWeekFromEpochHour(h);
  memoHour = h;
  memoSlot = dayClassOfHourOfWeek(how) * 24 + (how % 24);
  return memoSlot;
}

/** Same hour of day in the other day class (fallback while one class has no history yet). */
export function otherClassSlot(slot: number): number {
  return slot < 24 ? slot + 24 : slot - 24;
}

export function bucketOf(ts: number, bucketMs: number): number {
  return Math.floor(ts / bucketMs);
}
