/**
 * Scores the engine on a labelled scenario: per incident type, recall,
 * precision and time to detect (in buckets, from the incident's start to the
 * arrival of the event that raised the alert), and false alerts per
 * agent-week on normal traffic.
 *
 * Matching: an alert (unique alertId, at its first emission) belongs to an
 * incident of the same agent (or of any of its participants, or of its group
 * series, e.g. group:role:finance) when it is raised between the incident's
 * start and its end + GRACE. Unmatched alerts are false alerts, charged to the
 * incident type their rule is meant for (for per-type precision).
 * An incident is detected when an alert of one of its type's detectors
 * (DETECTORS_FOR) matches it. Time to detect runs from the incident's
 * detectFrom (the strike after a ramp, the second step of a flow) when it has
 * one; an alert before it (on the ramp) counts as 0.
 *
 * Benign cases (cli/simulate/scenario/benign.ts, benignChanges.ts) are
 * charged every alert on their agents (agentIds) raised between their start
 * and end + GRACE that matches no incident, against their budget; those
 * alerts are false alerts too.
 */
import { createEngine, type Rules } from '../../shared/detection/index.js';
import type { Alert } from '../../shared/schemas/generated.js';
import { DAY_MS } from '../../cli/simulate/scenario/fleet.js';
import { ALL_INCIDENT_TYPES, DETECTORS_FOR, EVASION_TYPES, type IncidentType, type LabelledIncident } from '../../cli/simulate/scenario/incidents.js';
import type { BenignKind, LabelledBenign, Scenario } from '../../cli/simulate/scenario/generator.js';

export const GRACE_MS = 30 * 60_000;

/** The incident type each rule is meant for. */
export function homeType(ruleId: string): IncidentType {
  if (ruleId.startsWith('rate-spike')) return 'rate-spike';
  if (ruleId === 'volume-spike.payment') return 'unusual-payment';
  if (ruleId.startsWith('volume-spike')) return 'exfil-volume';
  if (ruleId.startsWith('error-burst')) return 'credential-burst';
  if (ruleId.startsWith('unusual-access')) return 'sensitive-access';
  if (ruleId.startsWith('off-hours')) return 'off-hours';
  if (ruleId === 'impersonation.signature') return 'forged-signature';
  if (ruleId === 'impersonation.seq-replay') return 'seq-replay';
  if (ruleId === 'impersonation.seq-jump') return 'seq-jump';
  if (ruleId.startsWith('injection')) return 'injection';
  if (ruleId.startsWith('flow')) return 'multi-step-flow';
  if (ruleId.startsWith('accumulation')) return 'low-slow-egress';
  if (ruleId.startsWith('group')) return 'split-pull';
  return 'slow-ramp';
}

export interface TypeRow {
  type: IncidentType;
  incidents: number;
  detected: number;
  recall: number;
  truePositiveAlerts: number;
  falseAlerts: number;
  precision: number;
  medianTtdBuckets: number | null;
  maxTtdBuckets: number | null;
  /** Share of incidents detected within the target (2 buckets; slow ramps: before the ramp doubles). */
  withinTarget: number;
  target: string;
  /** An evasion kind (evasionKinds.ts), reported in a table of its own. */
  evasion: boolean;
}

export interface BenignRow {
  kind: BenignKind;
  cases: number;
  budget: number;
  alerts: number;
  maxAlertsPerCase: number;
  /** Share of cases that stayed within their budget. */
  withinBudget: number;
  /**
   * The alerts its cases would draw at the scenario's background rate (non-incident alerts outside every benign
   * case, per agent-hour outside them) over their agent-hours: what a case over 50 agents for a day and a half draws
   * with no change at all. Alerts well above it are the change's; alerts near it are the fleet's ordinary ones.
   */
  backgroundAlerts: number;
}

export interface RaisedAlert {
  alert: Alert;
  raisedAt: number;
  incident: LabelledIncident | null;
}

export interface EvalReport {
  rows: TypeRow[];
  agentWeeks: number;
  falseAlerts: number;
  falseAlertsPerAgentWeek: number;
  falseByRule: Record<string, number>;
  alerts: number;
  events: number;
  engineMs: number;
  eventsPerSecond: number;
  raised: RaisedAlert[];
  missed: LabelledIncident[];
  benignRows: BenignRow[];
  /** Benign cases over their budget, with the alerts they drew. */
  overBudget: { item: LabelledBenign; alerts: RaisedAlert[]; backgroundAlerts: number }[];
}

/** A case's agent time: its agents (not its group series) over its judged span. */
function caseAgentMs(item: LabelledBenign): number {
  const agents = (item.agentIds ?? [item.agentId]).filter((id) => !id.startsWith('group:')).length;
  return agents * (item.end + GRACE_MS - item.start);
}

export function benignRows(benign: LabelledBenign[], raised: RaisedAlert[], agentMs: number): Pick<EvalReport, 'benignRows' | 'overBudget'> {
  const drawn = new Map<string, RaisedAlert[]>();
  const charged = new Set<RaisedAlert>();
  for (const item of benign) {
    const ids = new Set(item.agentIds ?? [item.agentId]);
    // An incident's alert is not the benign case's (a case over a tenant can span incidents on its agents).
    const alerts = raised.filter((r) => !r.incident && ids.has(r.alert.agentId) && r.raisedAt >= item.start && r.raisedAt <= item.end + GRACE_MS);
    drawn.set(item.id, alerts);
    for (const a of alerts) charged.add(a);
  }
  const outsideMs = agentMs - benign.reduce((sum, b) => sum + caseAgentMs(b), 0);
  const backgroundPerAgentMs = outsideMs > 0 ? raised.filter((r) => !r.incident && !charged.has(r)).length / outsideMs : 0;
  const rows: BenignRow[] = [];
  for (const kind of new Set(benign.map((b) => b.kind))) {
    const items = benign.filter((b) => b.kind === kind);
    const counts = items.map((b) => drawn.get(b.id)!.length);
    rows.push({
      kind,
      cases: items.length,
      budget: items[0]!.budget,
      alerts: counts.reduce((a, b) => a + b, 0),
      maxAlertsPerCase: Math.max(...counts),
      withinBudget: items.filter((b) => drawn.get(b.id)!.length <= b.budget).length / items.length,
      backgroundAlerts: items.reduce((sum, b) => sum + backgroundPerAgentMs * caseAgentMs(b), 0),
    });
  }
  const overBudget = benign.filter((b) => drawn.get(b.id)!.length > b.budget).map((item) => ({ item, alerts: drawn.get(item.id)!, backgroundAlerts: backgroundPerAgentMs * caseAgentMs(item) }));
  return { benignRows: rows, overBudget };
}

/** A group series' alert (group:role:finance, perhaps with a suffix) is matched under its role group's id. */
function groupSeries(agentId: string): string {
  const m = /^group:role:[^:]+/.exec(agentId);
  return m ? m[0] : agentId;
}

const TARGET_TEXT: Partial<Record<IncidentType, string>> = {
  'low-slow-egress': 'before it ends',
  'split-pull': 'before it ends',
  'auth-under-floor': 'before it ends',
  'repeated-payments': 'by the last payment',
  'cold-start': '<= 2 buckets from the first abuse',
  'poison-then-strike': '<= 2 buckets from the strike',
  'multi-step-flow': '<= 2 buckets from the second step',
};
const targetText = (type: IncidentType): string => TARGET_TEXT[type] ?? '<= 2 buckets';

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function evaluate(scenario: Scenario, rules: Rules): EvalReport {
  const engine = createEngine(rules);
  const bucketMs = rules.engine.bucketMs;
  const firsts = new Map<string, { alert: Alert; raisedAt: number }>();
  const { events, arrivals } = scenario;
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    const out = engine.process(events[i]!);
    if (out.length > 0) for (const a of out) if (!firsts.has(a.alertId)) firsts.set(a.alertId, { alert: a, raisedAt: arrivals[i]! });
  }
  for (const a of engine.flush(scenario.endTs)) if (!firsts.has(a.alertId)) firsts.set(a.alertId, { alert: a, raisedAt: scenario.endTs });
  const engineMs = performance.now() - t0;

  const byAgent = new Map<string, LabelledIncident[]>();
  for (const inc of scenario.incidents) {
    for (const who of new Set([inc.agentId, ...(inc.participants ?? []), ...(inc.groupIds ?? [])])) {
      const list = byAgent.get(who) ?? [];
      list.push(inc);
      byAgent.set(who, list);
    }
  }
  const raised: RaisedAlert[] = [];
  for (const { alert, raisedAt } of firsts.values()) {
    const cands = (byAgent.get(groupSeries(alert.agentId)) ?? byAgent.get(alert.agentId) ?? []).filter((inc) => raisedAt >= inc.start && raisedAt <= inc.end + GRACE_MS);
    raised.push({ alert, raisedAt, incident: cands.length > 0 ? cands.reduce((a, b) => (b.start > a.start ? b : a)) : null });
  }

  const bucket = (ts: number) => Math.floor(ts / bucketMs);
  const ttd = new Map<string, number>();
  for (const r of raised) {
    if (!r.incident || !DETECTORS_FOR[r.incident.type].includes(r.alert.detector)) continue;
    const d = Math.max(0, bucket(r.raisedAt) - bucket(r.incident.detectFrom ?? r.incident.start));
    const prev = ttd.get(r.incident.id);
    if (prev === undefined || d < prev) ttd.set(r.incident.id, d);
  }

  // Slow ramps: the target is detection before the ramp has doubled the baseline. A rolling median over
  // the last `windowBuckets` buckets lags a ramp by half its width, so a +5%/bucket ramp doubles it after
  // doublingBuckets + windowBuckets / 2 buckets (14.2 + 12 with the defaults). The stricter "before the
  // ramp itself doubles" (14.2 buckets) is reported alongside.
  const baselineDoubles = (inc: LabelledIncident) => (inc.doublingBuckets ?? 14.2) + rules.baseline.windowBuckets / 2;

  const falseByRule: Record<string, number> = {};
  for (const r of raised) if (!r.incident) falseByRule[r.alert.ruleId] = (falseByRule[r.alert.ruleId] ?? 0) + 1;

  const rows: TypeRow[] = [];
  for (const type of ALL_INCIDENT_TYPES) {
    const incs = scenario.incidents.filter((i) => i.type === type);
    if (incs.length === 0) continue;
    const delays = incs.map((i) => ttd.get(i.id)).filter((d): d is number => d !== undefined);
    const tp = raised.filter((r) => r.incident?.type === type).length;
    const fp = raised.filter((r) => !r.incident && homeType(r.alert.ruleId) === type).length;
    const isRamp = type === 'slow-ramp';
    const within = incs.filter((i) => {
      const d = ttd.get(i.id);
      if (d === undefined) return false;
      return isRamp ? d < baselineDoubles(i) : d <= (i.targetBuckets ?? 2);
    }).length;
    const beforeRampDoubles = incs.filter((i) => {
      const d = ttd.get(i.id);
      return d !== undefined && d < (i.doublingBuckets ?? 14.2);
    }).length;
    rows.push({
      type,
      incidents: incs.length,
      detected: delays.length,
      recall: delays.length / incs.length,
      truePositiveAlerts: tp,
      falseAlerts: fp,
      precision: tp + fp > 0 ? tp / (tp + fp) : 1,
      medianTtdBuckets: median(delays),
      maxTtdBuckets: delays.length > 0 ? Math.max(...delays) : null,
      withinTarget: within / incs.length,
      target: isRamp ? `before the baseline doubles (< ${baselineDoubles(incs[0]!).toFixed(1)} buckets); before the ramp itself doubles (< 14.2): ${beforeRampDoubles}/${incs.length}` : targetText(type),
      evasion: (EVASION_TYPES as readonly string[]).includes(type),
    });
  }
  const agentMs = scenario.agents.reduce((s, a) => s + Math.max(0, scenario.endTs - a.joinTs), 0);
  const agentWeeks = agentMs / (7 * DAY_MS);
  const falseAlerts = raised.filter((r) => !r.incident).length;
  return {
    rows,
    agentWeeks,
    falseAlerts,
    falseAlertsPerAgentWeek: falseAlerts / agentWeeks,
    falseByRule,
    alerts: raised.length,
    events: events.length,
    engineMs,
    eventsPerSecond: events.length / (engineMs / 1000),
    raised,
    missed: scenario.incidents.filter((i) => !ttd.has(i.id)),
    ...benignRows(scenario.benign, raised, agentMs),
  };
}

export function formatReport(r: EvalReport): string {
  const lines: string[] = [];
  lines.push('| incident type | incidents | recall | precision | median TTD (buckets) | max TTD | within target | target |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  const row = (x: TypeRow) => `| ${x.type} | ${x.incidents} | ${x.recall.toFixed(2)} | ${x.precision.toFixed(2)} | ${x.medianTtdBuckets ?? '-'} | ${x.maxTtdBuckets ?? '-'} | ${x.withinTarget.toFixed(2)} | ${x.target} |`;
  for (const x of r.rows) if (!x.evasion) lines.push(row(x));
  const evasions = r.rows.filter((x) => x.evasion);
  if (evasions.length > 0) {
    lines.push('');
    lines.push('| evasion kind | incidents | recall | precision | median TTD (buckets) | max TTD | within target | target |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const x of evasions) lines.push(row(x));
  }
  if (r.benignRows.length > 0) {
    lines.push('');
    lines.push('| benign case | cases | alerts | background: alerts expected with no change | max alerts per case | within budget | budget |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const b of r.benignRows) lines.push(`| ${b.kind} | ${b.cases} | ${b.alerts} | ${b.backgroundAlerts.toFixed(1)} | ${b.maxAlertsPerCase} | ${b.withinBudget.toFixed(2)} | <= ${b.budget} |`);
  }
  lines.push('');
  lines.push(`False alerts on normal traffic: ${r.falseAlerts} over ${r.agentWeeks.toFixed(1)} agent-weeks = ${r.falseAlertsPerAgentWeek.toFixed(2)} per agent-week (target <= 0.5, issues 10 and 11)`);
  const byRule = Object.entries(r.falseByRule).sort((a, b) => b[1] - a[1]);
  if (byRule.length > 0) lines.push(`  by rule: ${byRule.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  lines.push(`Alerts: ${r.alerts} unique; events: ${r.events}; engine: ${(r.engineMs / 1000).toFixed(2)} s (${Math.round(r.eventsPerSecond).toLocaleString('en-US')} events/s incl. alert building)`);
  return lines.join('\n');
}
