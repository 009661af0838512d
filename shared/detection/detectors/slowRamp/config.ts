/**
 * What one slow-ramp detector derives from the rules once (every agent shares it), and the
 * drift test's verdict, which judgeTrend (trend.ts) writes and the finding built right after
 * it reads: one per detector, not per module, and the engine runs one agent's update at a time.
 */
import type { DriftResult } from '../../baseline/drift.js';
import type { Rules } from '../../rules/schema.js';
import { enabledRule } from '../common.js';
import type { RampThresholdValues } from './thresholds.js';

export interface RampConfig {
  /** The rule's thresholds; null when the rule is disabled (its series are then not kept at all). */
  readonly rate: RampThresholdValues | null;
  readonly volume: RampThresholdValues | null;
  readonly bucketMs: number;
  /** Actions told apart per agent; the last slot folds the rest into "(other)". */
  readonly maxActions: number;
  readonly seasonalAlpha: number;
  readonly seasonalMinSamples: number;
  /** Empty buckets closed one by one after a silence (two days' worth): a longer one ages the count series no further. */
  readonly maxFillBuckets: number;
  /** Square of rate.minDispersion: the least over-dispersion a count is judged with. */
  readonly overDispersionFloor: number;
  /** Square of volume.minDispersion: the least variance of one event's log size. */
  readonly sizeVarianceFloor: number;
  readonly trend: DriftResult;
}

export function rampConfig(rules: Rules): RampConfig {
  const rate = enabledRule(rules, 'slow-ramp.rate')?.thresholds ?? null;
  const volume = enabledRule(rules, 'slow-ramp.volume')?.thresholds ?? null;
  const bucketMs = rules.engine.bucketMs;
  return {
    rate,
    volume,
    bucketMs,
    maxActions: Math.max(2, rules.engine.maxActionSeriesPerAgent),
    seasonalAlpha: rules.baseline.seasonalAlpha,
    seasonalMinSamples: rules.baseline.seasonalMinSamples,
    maxFillBuckets: Math.ceil((2 * 86_400_000) / bucketMs),
    overDispersionFloor: (rate?.minDispersion ?? 0.1) ** 2,
    sizeVarianceFloor: (volume?.minDispersion ?? 0.25) ** 2,
    trend: { z: 0, runBuckets: 0, slope: 0, anyZ: 0 },
  };
}
