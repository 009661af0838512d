/** Runs the real detector service in-process against isolated topics, and reads what it wrote. */
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka, type KafkaMessage } from '../../shared/kafka/index.js';
import { createRegistry } from '../../shared/registry/index.js';
import type { Alert, AgentActionEvent } from '../../shared/schemas/generated.js';
import { Keyring } from '../../shared/signing/index.js';
import { createDetectionEngine } from '../../services/detector/engine.js';
import { DetectorService } from '../../services/detector/service.js';
import { eventually, testLogger, uniqueSuffix } from './stack.js';

export function keyringFor(agentIds: Iterable<string>): Keyring {
  return new Keyring(Object.fromEntries([...agentIds].map((a) => [a, { k1: `test-secret-${a}-0123456789` }])));
}

export async function startDetector(config: WardenConfig, keyring: Keyring, groupId = `detector-${uniqueSuffix()}`): Promise<DetectorService> {
  const service = new DetectorService({ config, keyring, engine: createDetectionEngine(), logger: testLogger, groupId });
  await service.start();
  return service;
}

export async function counterValue(service: DetectorService, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = service.registry.getSingleMetric(name);
  if (!metric) return 0;
  const data = await metric.get();
  return data.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((s, v) => s + v.value, 0);
}

/** Reads a topic from the beginning until `count` records arrived (or the deadline passes). */
export async function readTopic(config: WardenConfig, topic: string, count: number, timeoutMs = 60_000): Promise<KafkaMessage[]> {
  const consumer = createKafka(config, testLogger).consumer({ groupId: `reader-${uniqueSuffix()}`, maxWaitTimeInMs: 200 });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void got.push(message) });
  try {
    await eventually(() => got.length >= count, timeoutMs, `${count} records on ${topic} (have ${got.length})`);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

export async function readAlerts(config: WardenConfig, count: number, timeoutMs?: number): Promise<Alert[]> {
  const registry = createRegistry(config);
  const msgs = await readTopic(config, config.topics.alerts.name, count, timeoutMs);
  return Promise.all(msgs.map((m) => registry.decode(m.value!) as Promise<Alert>));
}

/** A plain, regular stream of valid events: `perAgent` events per agent, one every `gapMs`, ending at `endMs`. */
export function steadyEvents(agents: string[], perAgent: number, gapMs: number, endMs: number, role = 'support'): AgentActionEvent[] {
  const out: AgentActionEvent[] = [];
  for (let i = 0; i < perAgent; i++) {
    for (const [n, agentId] of agents.entries()) {
      const timestamp = endMs - (perAgent - i) * gapMs + n;
      out.push({
        eventId: `${agentId}-${i}`, agentId, agentRole: role, tenantId: 'acme', sessionId: null, principal: null, timestamp, seq: i + 1,
        action: 'data.read', resource: 'kb.articles', target: null, outcome: 'SUCCESS', bytesIn: 100, bytesOut: 800, records: 2, tokens: 50,
        amount: null, currency: null, text: null, attributes: {},
      });
    }
  }
  return out;
}
