/**
 * Detector registry: name -> factory. Adding a detector is adding a file and
 * a line here. Impersonation comes first: it decides whether an event is
 * trusted enough to reach the others.
 */
import type { Rules } from '../rules/schema.js';
import type { Detector } from '../types.js';
import { createErrorBurstDetector } from './errorBurst.js';
import { createImpersonationDetector } from './impersonation.js';
import { createInjectionDetector } from './injection.js';
import { createOffHoursDetector } from './offHours.js';
import { createRateSpikeDetector } from './rateSpike.js';
import { createSlowRampDetector } from './slowRamp.js';
import { createUnusualAccessDetector } from './unusualAccess.js';
import { createVolumeSpikeDetector } from './volumeSpike.js';

export const DETECTOR_FACTORIES: Readonly<Record<string, (rules: Rules) => Detector<never>>> = {
  impersonation: createImpersonationDetector as (rules: Rules) => Detector<never>,
  'rate-spike': createRateSpikeDetector as (rules: Rules) => Detector<never>,
  'volume-spike': createVolumeSpikeDetector as (rules: Rules) => Detector<never>,
  'error-burst': createErrorBurstDetector as (rules: Rules) => Detector<never>,
  'unusual-access': createUnusualAccessDetector as (rules: Rules) => Detector<never>,
  'off-hours': createOffHoursDetector as (rules: Rules) => Detector<never>,
  injection: createInjectionDetector as (rules: Rules) => Detector<never>,
  'slow-ramp': createSlowRampDetector as (rules: Rules) => Detector<never>,
};

export const DETECTOR_NAMES = Object.keys(DETECTOR_FACTORIES);

/** The detectors with at least one enabled rule (optionally only `names`), impersonation first. */
export function createDetectors(rules: Rules, names?: readonly string[]): Detector<unknown>[] {
  const wanted = names ? new Set(names) : null;
  const out: Detector<unknown>[] = [];
  for (const [name, factory] of Object.entries(DETECTOR_FACTORIES)) {
    if (wanted && !wanted.has(name)) continue;
    const detector = factory(rules) as unknown as Detector<unknown>;
    const anyEnabled = detector.ruleIds.some((id) => rules.rules.some((r) => r.id === id && r.enabled));
    if (anyEnabled) out.push(detector);
  }
  if (wanted) for (const n of wanted) if (!(n in DETECTOR_FACTORIES)) throw new Error(`unknown detector ${n} (known: ${DETECTOR_NAMES.join(', ')})`);
  return out;
}
