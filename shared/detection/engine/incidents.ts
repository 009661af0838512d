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
 * - A finding may hold its incident open for longer (`holdIncidentMs`: slow-ramp.rate while it accepts a new
 *   level, 3 h): a deploy that doubles the workload is one change, whose accumulation and per-action sides
 *   arrive an hour or two after the ramp, and they join its alert instead of opening their own.
 * - An incident with no finding for `cooldownMs` (and past any hold) closes; if its count grew
 *   since the last emission, a final update is emitted then (noticed at the
 *   agent's next bucket change or at flush).
 * - Rules of one incident group (rules file `incidentGroups`: e.g. an agent's
 *   rate, each action's rate and its slow ramp, which one change moves at
 *   once) share one incident per agent: the book is keyed by the group, the
 *   alert id is that of the finding that opened it, the alert carries the
 *   strongest evidence (highest severity, then score) whichever rule found
 *   it, and `details.incidentRules` lists every rule that joined and how often;
 *   a rule's first finding in the incident is re-emitted at once.
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
  /** Findings per rule, when more than one rule (an incident group) has joined (absent: only the opening rule). */
  rules?: Record<string, number>;
  /** Event time until which the incident stays open whatever its cooldown (a finding's holdIncidentMs; absent: none). */
  holdUntil?: number;
}


export type IncidentBook = Map<string, Incident>;

const severityRank = (a: Alert): number => SeverityValues.indexOf(a.severity);

/** "rate-spike.action x3, slow-ramp.rate x1": the rules that joined a grouped incident, most findings first. */
function incidentRulesText(rules: Record<string, number>): string {
  return Object.entries(rules)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([ruleId, n]) => `${ruleId} x${n}`)
    .join(', ');
}

function emitUpdate(inc: Incident, out: Alert[]): void {
  const alert = { ...inc.alert, count: inc.count, firstSeen: inc.firstSeen, lastSeen: inc.lastSeen };
  if (inc.rules) alert.evidence = { ...alert.evidence, details: { ...alert.evidence.details, incidentRules: incidentRulesText(inc.rules) } };
  out.push(alert);
  inc.emitted = inc.count;
  inc.emittedSeverity = inc.alert.severity;
}

/** Quiet for longer than the cooldown at `now`, and past any hold. */
function closed(inc: Incident, now: number, cooldownMs: number): boolean {
  return now - inc.lastSeen > cooldownMs && !(inc.holdUntil !== undefined && now <= inc.holdUntil);
}

/** `key`: the rule's incident group, or its own id when it has none. */

export function recordFinding(book: IncidentBook, key: string, f: Finding, rule: RuleDef, party: AlertParty, now: number, bucketMs: number, cooldownMs: number, out: Alert[]): void {
  let inc = book.get(key);
  if (inc && closed(inc, now, cooldownMs)) {
    if (inc.count > inc.emitted) emitUpdate(inc, out);
    book.delete(key);
    inc = undefined;
  }
  if (!inc) {
    const alertId = alertIdFor(rule.id, party.agentId, Math.floor(now / bucketMs) * bucketMs);
    const base = { alertId, firstSeen: now, lastSeen: now, count: 1 };
    const alert = buildAlert(f, rule, party, base);
    book.set(key, { ...base, emitted: 1, lastEmit: now, score: alert.score, alert, emittedSeverity: alert.severity, ...(f.holdIncidentMs ? { holdUntil: now + f.holdIncidentMs } : {}) });
    out.push(alert);
    return;
  }
  inc.count++;
  if (f.holdIncidentMs) inc.holdUntil = Math.max(inc.holdUntil ?? -Infinity, now + f.holdIncidentMs);
  if (now > inc.lastSeen) inc.lastSeen = now;
  // A rule joining a grouped incident for the first time is news (the change shows on another side): re-emitted now.
  let joined = false;
  if (inc.rules || rule.id !== inc.alert.ruleId) {
    inc.rules ??= { [inc.alert.ruleId]: inc.count - 1 };
    joined = inc.rules[rule.id] === undefined;
    inc.rules[rule.id] = (inc.rules[rule.id] ?? 0) + 1;
  }
  const candidate = buildAlert(f, rule, party, inc);
  // Within one rule severity follows the score; across a group's rules the stronger severity leads.
  const rankGain = severityRank(candidate) - severityRank(inc.alert);
  if (rankGain > 0 || (rankGain === 0 && candidate.score > inc.score)) {
    inc.score = candidate.score;
    inc.alert = candidate;
  }
  const escalated = SeverityValues.indexOf(inc.alert.severity) > SeverityValues.indexOf(inc.emittedSeverity ?? inc.alert.severity);
  if (escalated || joined || now - inc.lastEmit >= cooldownMs) {
    inc.lastEmit = now;
    emitUpdate(inc, out);
  }
}

/** Close incidents quiet for longer than the cooldown at `now`; emit their final count when it grew. */
export function expireIncidents(book: IncidentBook, now: number, cooldownMs: number, out: Alert[]): void {
  if (book.size === 0) return;
  for (const [key, inc] of book) {
    if (closed(inc, now, cooldownMs)) {
      if (inc.count > inc.emitted) emitUpdate(inc, out);
      book.delete(key);
    }
  }
}
