/**
 * Where a finding's score (0..1) changes the alert's severity: below 0.6 the
 * rule's severity two steps down, below 0.8 one step, from 0.8 the rule's own.
 * One definition, used by severityFor (the alert) and by the spike series
 * (which fires again when a growing bucket climbs into a higher band).
 */
export const SEVERITY_STEP_SCORES = [0.6, 0.8] as const;

/** Steps below the rule's severity for this score: 2, 1 or 0. */
export function stepsBelowRule(score: number): number {
  return score >= SEVERITY_STEP_SCORES[1] ? 0 : score >= SEVERITY_STEP_SCORES[0] ? 1 : 2;
}
