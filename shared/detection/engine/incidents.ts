/**
 * Cooldown: one incident = one alert id with a count.
 *
 * - The first finding of a rule for an agent opens an incident and is
 *   emitted at once (count 1). alertId = alertIdFor(rule, agent, start of the
 *   bucket of that first finding).
 * - Further findings of the same rule within `cooldownMs` of the incident's
 *   last finding join it: count and lastSeen grow, the strongest evidence is
 *   kept, and the alert is re-emitted (same alertId, higher count) at most
 *   once per cooldown, or at once when the strongest evidence raises its
 *   severity (an incident that grows while it happens is escalated now).
 * - An incident with no finding for `cooldownMs` closes; if its count grew
 *   since the last emission, a final update is emitted then (noticed at the
 *   agent's next bucket change or at flush).
 * So downstream consumers upsert alerts by alertId; the count only grows.
 */
import { SeverityValues, type Alert } from '../../schemas/generated.js';
import type { RuleDef } from '../rules/schema.js';
import type { Finding } from '../types.js';
import { alertIdFor, buildAlert, type AlertParty } from './alerts.js';

export interface Incident {
  alertId: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
  /** Count at the last emission, and when (event time). */
  emitted: number;
  lastEmit: number;
  /** Best score so far (0..100) and the alert carrying its evidence. */
  score: number;
  alert: Alert;
  /** Severity at the last emission (absent in snapshots from before escalation existed). */
  emittedSeverity?: Alert['severity'];
}


export type IncidentBook = Map<string, Incident>;

function emitUpdate(inc: Incident, out: Alert[]): void {
  out.push({ ...inc.alert, count: inc.count, firstSeen: inc.firstSeen, lastSeen: inc.lastSeen });
  inc.emitted = inc.count;
  inc.emittedSeverity = inc.alert.severity;
}

export function recordFinding(book: IncidentBook, f: Finding, rule: RuleDef, party: AlertParty, now: number, bucketMs: number, cooldownMs: number, out: Alert[]): void {
  let inc = book.get(rule.id);
  if (inc && now - inc.lastSeen > cooldownMs) {
    if (inc.count > inc.emitted) emitUpdate(inc, out);
    book.delete(rule.id);
    inc = undefined;
  }
  if (!inc) {
    const alertId = alertIdFor(rule.id, party.agentId, Math.floor(now / bucketMs) * bucketMs);
    const base = { alertId, firstSeen: now, lastSeen: now, count: 1 };
    const alert = buildAlert(f, rule, party, base);
    book.set(rule.id, { ...base, emitted: 1, lastEmit: now, score: alert.score, alert, emittedSeverity: alert.severity });
    out.push(alert);
    return;
  }
  inc.count++;
  if (now > inc.lastSeen) inc.lastSeen = now;
  const candidate = buildAlert(f, rule, party, inc);
  if (candidate.score > inc.score) {
    inc.score = candidate.score;
    inc.alert = candidate;
  }
  const escalated = SeverityValues.indexOf(inc.alert.severity) > SeverityValues.indexOf(inc.emittedSeverity ?? inc.alert.severity);
  if (escalated || now - inc.lastEmit >= cooldownMs) {
    inc.lastEmit = now;
    emitUpdate(inc, out);
  }
}

/** Close incidents quiet for longer than the cooldown at `now`; emit their final count when it grew. */
export function expireIncidents(book: IncidentBook, now: number, cooldownMs: number, out: Alert[]): void {
  if (book.size === 0) return;
  for (const [ruleId, inc] of book) {
    if (now - inc.lastSeen > cooldownMs) {
      if (inc.count > inc.emitted) emitUpdate(inc, out);
      book.delete(ruleId);
    }
  }
}
