/**
 * The evasion incident kinds (issue 11, "What got through"): attacks shaped to
 * slip past per-bucket, per-agent and first-use checks. Pure data, so that
 * incidents.ts can list them beside the classic kinds without importing the
 * injectors (evasionsVolume.ts, evasionsAccess.ts).
 *
 * DETECTORS_FOR lists detectors that do not exist yet ('accumulation',
 * 'group-series'): an alert of theirs counts as soon as they emit one.
 */
export const EVASION_TYPES = [
  'low-slow-egress',
  'split-pull',
  'auth-under-floor',
  'repeated-payments',
  'cold-start',
  'poison-then-strike',
  'multi-step-flow',
] as const;
export type EvasionType = (typeof EVASION_TYPES)[number];

export const EVASION_DETECTORS: Record<EvasionType, string[]> = {
  // Each bucket stays under the spike threshold: only a total over hours shows it.
  'low-slow-egress': ['volume-spike', 'slow-ramp', 'accumulation'],
  // Each agent stays under its own threshold: the role's total shows it (alerts on group:role:* count too).
  'split-pull': ['volume-spike', 'accumulation', 'group-series'],
  // Every bucket under error-burst's floor.
  'auth-under-floor': ['error-burst', 'accumulation', 'slow-ramp'],
  // Each payment too small for volume-spike.payment alone; the series of them is the signal.
  'repeated-payments': ['volume-spike', 'accumulation', 'rate-spike', 'unusual-access'],
  // A brand-new agent (or the first of a brand-new role) abusing its learning period.
  'cold-start': ['unusual-access', 'flow', 'volume-spike'],
  // A ramp teaches the baseline; the strike after it must still alert (time to detect runs from the strike).
  'poison-then-strike': ['rate-spike', 'volume-spike', 'slow-ramp'],
  // Each step ordinary alone; the sequence is the attack.
  'multi-step-flow': ['flow'],
};
