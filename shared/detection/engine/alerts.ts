/**
 * Finding -> Alert: deterministic id, 0..100 score, severity from the rule
 * and the score, evidence copied field by field (no NaN or Infinity can reach
 * the Avro encoder), tags from the rule.
 */
import { createHash } from 'node:crypto';
import { SeverityValues, type Alert, type Severity } from '../../schemas/generated.js';
import type { RuleDef } from '../rules/schema.js';
import { stepsBelowRule } from '../scoreBands.js';
import type { Finding } from '../types.js';

export const MAX_RELATED_EVENTS = 10;

/** sha256(ruleId|agentId|incidentBucketStart), hex, first 32 chars. */
export function alertIdFor(ruleId: string, agentId: string, incidentBucketStart: number): string {
  return createHash('sha256').update(`${ruleId}|${agentId}|${incidentBucketStart}`).digest('hex').slice(0, 32);
}

/** The rule's severity for a strong finding (score >= 80), one step lower from 60, two below (never under LOW unless the rule is INFO). */
export function severityFor(rule: Severity, score100: number): Severity {
  const top = SeverityValues.indexOf(rule);
  const drop = stepsBelowRule(score100 / 100);
  const floor = top === 0 ? 0 : 1;
  return SeverityValues[Math.max(floor, top - drop)]!;
}

const num = (v: number): number => (Number.isFinite(v) ? v : 0);
const opt = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : v);

export interface AlertParty {
  agentId: string;
  agentRole: string;
  tenantId: string;
}

export function buildAlert(f: Finding, rule: RuleDef, party: AlertParty, incident: { alertId: string; firstSeen: number; lastSeen: number; count: number }): Alert {
  const score = Math.round(Math.min(1, Math.max(0, num(f.score))) * 100);
  return {
    alertId: incident.alertId,
    agentId: party.agentId,
    agentRole: party.agentRole,
    tenantId: party.tenantId,
    detector: f.detector,
    ruleId: f.ruleId,
    title: f.title,
    description: f.description,
    severity: severityFor(rule.severity, score),
    score,
    firstSeen: Math.trunc(num(incident.firstSeen)),
    lastSeen: Math.trunc(num(incident.lastSeen)),
    count: incident.count,
    evidence: {
      metric: f.metric,
      observed: num(f.observed),
      baselineMean: opt(f.baseline.mean),
      baselineStd: opt(f.baseline.std),
      baselineMedian: opt(f.baseline.median),
      baselineMad: opt(f.baseline.mad),
      sampleSize: Math.trunc(num(f.baseline.sampleSize)),
      baselineSource: f.baseline.source,
      windowStart: Math.trunc(num(f.windowStart)),
      windowEnd: Math.trunc(num(f.windowEnd)),
      relatedEventIds: f.relatedEventIds.slice(-MAX_RELATED_EVENTS),
      details: { ...f.details },
    },
    tags: [...rule.tags],
  };
}
