/**
 * Poisoning protection, one wrapper for every baseline: what a baseline
 * learns is clamped to its acceptance band (expected ± capZ spreads, or the
 * threshold when the observation alerted), so one anomalous observation
 * cannot teach it. A shift that persists on the same side for more than
 * `acceptAfter` observations is accepted as the new level: it has alerted by
 * then, and a baseline that refused it forever would lock (the old series
 * scorer stayed at zero after a quiet stretch and alerted on every later row).
 * Slow ramps, which never leave the band, are the slow-ramp detector's job.
 */

export interface LearningGuard {
  /** Consecutive observations outside the band on the same side. */
  outsideRun: number;
  /** That side: 1 above, -1 below, 0 none. */
  outsideSide: number;
}

export function createGuard(): LearningGuard {
  return { outsideRun: 0, outsideSide: 0 };
}

/** The value to learn for `value`, given the acceptance band [low, high]. */
export function guardedValue(g: LearningGuard, value: number, low: number, high: number, acceptAfter: number): number {
  if (value <= high && value >= low) {
    g.outsideRun = 0;
    g.outsideSide = 0;
    return value;
  }
  const side = value > high ? 1 : -1;
  if (side === g.outsideSide) g.outsideRun++;
  else {
    g.outsideSide = side;
    g.outsideRun = 1;
  }
  if (g.outsideRun > acceptAfter) return value;
  return side > 0 ? high : low;
}
