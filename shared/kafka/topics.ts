/**
 * Topic provisioning from configuration. Idempotent: existing topics are left
 * as they are (their missing configs are added), new ones are created.
 */
import type { WardenConfig } from '../config/index.js';
import type { Admin, KafkaClient } from './client.js';

export type TopicKey = keyof WardenConfig['topics'];

export interface TopicReport { name: string; created: boolean; partitions: number; configs: Record<string, string> }

export function topicSpecs(config: WardenConfig) {
  return (Object.entries(config.topics) as [TopicKey, WardenConfig['topics'][TopicKey]][]).map(([key, t]) => ({
    key,
    name: t.name,
    partitions: t.partitions,
    replicationFactor: t.replicationFactor,
    configs: { 'retention.ms': String(t.retentionMs), 'max.message.bytes': String(t.maxMessageBytes), ...t.configs },
  }));
}

export async function ensureTopics(admin: Admin, config: WardenConfig): Promise<TopicReport[]> {
  const existing = new Set(await admin.listTopics());
  const specs = topicSpecs(config);
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length > 0) {
    await createAndWait(admin, missing);
  }
  const present = specs.filter((s) => existing.has(s.name));
  if (present.length > 0) {
    // Align configs such as cleanup.policy=compact on topics created by hand or by an older version.
    await admin.alterConfigs({
      validateOnly: false,
      resources: present.map((s) => ({ type: 2 /* TOPIC */, name: s.name, configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })) })),
    });
  }
  return specs.map((s) => ({ name: s.name, created: !existing.has(s.name), partitions: s.partitions, configs: s.configs }));
}

const LEADERS_DEADLINE_MS = 30_000;

/**
 * Create topics and wait until every partition has a leader. kafkajs's own `waitForLeaders` gives up with
 * UNKNOWN_TOPIC_OR_PARTITION ("This server does not host this topic-partition") when a freshly started broker
 * has not yet loaded the new partitions, so the wait is ours: poll the metadata until leaders show, with a deadline.
 */
async function createAndWait(admin: Admin, missing: ReturnType<typeof topicSpecs>): Promise<void> {
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
      })),
    });
  } catch (err) {
    if ((err as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
  }
  const topics = missing.map((s) => s.name);
  const deadline = Date.now() + LEADERS_DEADLINE_MS;
  for (;;) {
    const ready = await admin
      .fetchTopicMetadata({ topics })
      .then((m) => m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
      .catch((err: { type?: string }) => {
        if (err.type === 'UNKNOWN_TOPIC_OR_PARTITION' || err.type === 'LEADER_NOT_AVAILABLE') return false;
        throw err;
      });
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no partition leaders after ${LEADERS_DEADLINE_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `ensureTopics` with an admin client of its own, for services and tools that need nothing else from it. */
export async function provisionTopics(kafka: KafkaClient, config: WardenConfig): Promise<TopicReport[]> {
  // Under ACLs the operator owns the topics (`warden topics` as the operator); a service may only use them.
  if (!config.kafka.manageTopics) return [];
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await ensureTopics(admin, config);
  } finally {
    await admin.disconnect();
  }
}
