/** Elastic Common Schema document for an alert (event.kind: alert, rule.*, threat.*). Pure. */
import type { Alert } from '../schemas/generated.js';

const ECS_SEVERITY: Record<Alert['severity'], number> = { INFO: 21, LOW: 21, MEDIUM: 47, HIGH: 73, CRITICAL: 99 };

export function toEcs(alert: Alert): Record<string, unknown> {
  const techniques = alert.tags.filter((t) => t.startsWith('mitre:') || t.startsWith('atlas:'));
  return {
    '@timestamp': new Date(alert.lastSeen).toISOString(),
    message: alert.title,
    ecs: { version: '8.11.0' },
    event: {
      kind: 'alert',
      category: ['intrusion_detection'],
      type: ['indicator'],
      id: alert.alertId,
      severity: ECS_SEVERITY[alert.severity],
      risk_score: alert.score,
      start: new Date(alert.firstSeen).toISOString(),
      end: new Date(alert.lastSeen).toISOString(),
      dataset: 'agent_warden.alert',
      provider: 'agent-warden',
    },
    rule: { id: alert.ruleId, name: alert.ruleId, description: alert.description, category: alert.detector, ruleset: 'agent-warden' },
    threat: techniques.length
      ? {
          framework: techniques[0]!.startsWith('atlas:') ? 'MITRE ATLAS' : 'MITRE ATT&CK',
          technique: { id: techniques.map((t) => t.split(':')[1]) },
        }
      : undefined,
    labels: { agent_id: alert.agentId, agent_role: alert.agentRole, tenant_id: alert.tenantId, severity: alert.severity },
    tags: alert.tags,
    warden: { evidence: alert.evidence, count: alert.count },
  };
}
