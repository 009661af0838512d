/** Writes Alert records the way the detector does (keyed by agentId, Avro through the registry). */
import { randomUUID } from 'node:crypto';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka, createProducer } from '../../shared/kafka/index.js';
import { createRegistry, registerSchemas } from '../../shared/registry/index.js';
import type { Alert } from '../../shared/schemas/generated.js';
import { testLogger } from './stack.js';

export function alert(agentId: string, over: Partial<Alert> = {}): Alert {
  const now = Date.now();
  return {
    alertId: randomUUID().replace(/-/g, ''), agentId, agentRole: 'support', tenantId: 'acme', detector: 'rate-spike', ruleId: 'rate-spike.agent',
    title: 'Action rate 12x the baseline', description: 'test alert', severity: 'CRITICAL', score: 95, firstSeen: now, lastSeen: now, count: 1,
    evidence: { metric: 'count(*) per bucket', observed: 60, baselineMean: 5, baselineStd: 1, baselineMedian: 5, baselineMad: 1, sampleSize: 24, baselineSource: 'agent', windowStart: now - 300_000, windowEnd: now, relatedEventIds: ['e1'], details: {} },
    tags: ['owasp-llm:LLM06'], ...over,
  };
}

export async function publishAlerts(config: WardenConfig, alerts: Alert[]): Promise<void> {
  const registry = createRegistry(config);
  const ids = await registerSchemas(registry, config);
  const producer = createProducer(createKafka(config, testLogger));
  await producer.connect();
  try {
    const messages = await Promise.all(alerts.map(async (a) => ({ key: a.agentId, value: await registry.encode(ids.alerts, a) })));
    await producer.send({ topic: config.topics.alerts.name, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}
