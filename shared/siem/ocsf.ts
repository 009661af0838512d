/**
 * OCSF 1.5.0 Detection Finding (class_uid 2004, category_uid 2) for an alert,
 * with the baseline evidence in `anomaly_analyses` (new in 1.5) and MITRE
 * ATLAS / ATT&CK mappings in `finding_info.attacks`. Pure.
 */
import type { Alert, QuarantineCommand, Severity } from '../schemas/generated.js';

export const OCSF_VERSION = '1.5.0';
export const DETECTION_FINDING = { class_uid: 2004, category_uid: 2, class_name: 'Detection Finding', category_name: 'Findings' } as const;
export const ACTIVITY = { create: 1, update: 2, close: 3 } as const;

export const OCSF_SEVERITY: Record<Severity, { id: number; name: string }> = {
  INFO: { id: 1, name: 'Informational' },
  LOW: { id: 2, name: 'Low' },
  MEDIUM: { id: 3, name: 'Medium' },
  HIGH: { id: 4, name: 'High' },
  CRITICAL: { id: 5, name: 'Critical' },
};

export interface ProductInfo { name: string; vendor_name: string; version: string }
export const PRODUCT: ProductInfo = { name: 'Agent Warden', vendor_name: 'Agent Warden', version: '0.1.0' };

type Attack = { technique: { uid: string; name?: string }; tactic?: { uid: string; name?: string }; version?: string };

/** Tags such as atlas:AML.T0051 and mitre:T1041 become OCSF attack objects. */
export function attacksFromTags(tags: string[]): Attack[] {
  const out: Attack[] = [];
  for (const t of tags) {
    const [ns, id] = t.split(':');
    if (!id) continue;
    if (ns === 'atlas') out.push({ technique: { uid: id, name: `MITRE ATLAS ${id}` } });
    else if (ns === 'mitre') out.push({ technique: { uid: id, name: `MITRE ATT&CK ${id}` }, version: '15' });
  }
  return out;
}

export function toOcsf(alert: Alert, product: ProductInfo = PRODUCT): Record<string, unknown> {
  const sev = OCSF_SEVERITY[alert.severity];
  const e = alert.evidence;
  const baseline = [
    ['mean', e.baselineMean], ['std', e.baselineStd], ['median', e.baselineMedian], ['mad', e.baselineMad],
  ].filter(([, v]) => v !== null) as [string, number][];
  const owasp = alert.tags.filter((t) => t.startsWith('owasp-llm:')).map((t) => t.slice('owasp-llm:'.length));
  return {
    ...DETECTION_FINDING,
    activity_id: ACTIVITY.create,
    activity_name: 'Create',
    type_uid: DETECTION_FINDING.class_uid * 100 + ACTIVITY.create,
    type_name: 'Detection Finding: Create',
    time: alert.lastSeen,
    severity_id: sev.id,
    severity: sev.name,
    status_id: 1,
    status: 'New',
    confidence_score: alert.score,
    risk_score: alert.score,
    message: alert.title,
    count: alert.count,
    metadata: {
      version: OCSF_VERSION,
      product,
      uid: alert.alertId,
      correlation_uid: `${alert.agentId}:${alert.ruleId}`,
      labels: alert.tags,
    },
    finding_info: {
      uid: alert.alertId,
      title: alert.title,
      desc: alert.description,
      types: [alert.detector, ...owasp.map((o) => `OWASP LLM Top 10 2025 ${o}`)],
      analytic: { uid: alert.ruleId, name: alert.ruleId, type_id: 1, type: 'Rule', category: alert.detector },
      first_seen_time: alert.firstSeen,
      last_seen_time: alert.lastSeen,
      related_events: e.relatedEventIds.map((uid) => ({ uid })),
      attacks: attacksFromTags(alert.tags),
    },
    anomaly_analyses: [
      {
        analysis_targets: [{ name: alert.agentId, type: 'AI Agent' }],
        anomalies: [
          {
            observation_parameter: e.metric,
            observation_type: alert.detector,
            observations: [{ parameter: e.metric, value: String(e.observed), timeframe: { start_time: e.windowStart, end_time: e.windowEnd } }],
          },
        ],
        baselines: [
          {
            observation_parameter: e.metric,
            observation_type: `baseline (${e.baselineSource})`,
            observations: [
              ...baseline.map(([name, value]) => ({ parameter: `${e.metric}:${name}`, value: String(value) })),
              { parameter: `${e.metric}:sample_size`, value: String(e.sampleSize) },
            ],
          },
        ],
      },
    ],
    resources: [{ uid: alert.agentId, name: alert.agentId, type: 'AI Agent', group: { name: alert.agentRole }, labels: [`tenant:${alert.tenantId}`] }],
    evidences: [{ data: { ...e.details, observed: e.observed, window_start: e.windowStart, window_end: e.windowEnd } }],
    unmapped: { warden: { detector: alert.detector, rule_id: alert.ruleId, tenant_id: alert.tenantId, baseline_source: e.baselineSource } },
  };
}

/** An isolation command as an update of the findings that caused it (status In Progress, the action as remediation). */
export function commandToOcsf(cmd: QuarantineCommand, product: ProductInfo = PRODUCT): Record<string, unknown> {
  const action = cmd.type === 'THROTTLE' ? `throttled: ${cmd.revokedCapabilities.join(', ')} revoked` : cmd.type === 'QUARANTINE' ? 'quarantined' : 'released';
  return {
    ...DETECTION_FINDING,
    activity_id: ACTIVITY.update,
    activity_name: 'Update',
    type_uid: DETECTION_FINDING.class_uid * 100 + ACTIVITY.update,
    type_name: 'Detection Finding: Update',
    time: cmd.issuedAt,
    severity_id: cmd.type === 'RELEASE' ? 1 : 4,
    severity: cmd.type === 'RELEASE' ? 'Informational' : 'High',
    status_id: cmd.type === 'RELEASE' ? 4 : 2,
    status: cmd.type === 'RELEASE' ? 'Resolved' : 'In Progress',
    message: `Agent ${cmd.agentId} ${action} by ${cmd.issuedBy}: ${cmd.reason}`,
    metadata: { version: OCSF_VERSION, product, uid: cmd.commandId, correlation_uid: cmd.alertIds[0] ?? cmd.commandId },
    finding_info: { uid: cmd.alertIds[0] ?? cmd.commandId, title: `Response: ${action}`, related_events: cmd.alertIds.map((uid) => ({ uid })) },
    remediation: { desc: `${cmd.type} ${cmd.agentId}${cmd.expiresAt ? ` until ${new Date(cmd.expiresAt).toISOString()}` : ''}` },
    resources: [{ uid: cmd.agentId, name: cmd.agentId, type: 'AI Agent' }],
    unmapped: { warden: { command_id: cmd.commandId, command_type: cmd.type, issued_by: cmd.issuedBy, expires_at: cmd.expiresAt, revoked: cmd.revokedCapabilities } },
  };
}
