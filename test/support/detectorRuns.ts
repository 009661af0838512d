/**
 * Whole detector runs over a fixed stream, for the tests that compare a
 * disturbed run (a SIGKILL, a rebalance, a restarted broker or Redis) with an
 * uninterrupted one: publish, spawn a detector process, read what state covers
 * (the covered offsets in Redis) and what the alerts topic holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { FleetPublisher, type OutgoingEvent } from '../../cli/simulate/publisher.js';
import { coveredOffsetKey } from '../../services/detector/stateStore.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka } from '../../shared/kafka/index.js';
import { createRedis } from '../../shared/redis/index.js';
import { UNVERIFIED_TAG } from '../../shared/detection/unverified.js';
import type { Alert } from '../../shared/schemas/generated.js';
import type { Keyring } from '../../shared/signing/index.js';
import { counterValue, readAlerts, startDetector } from './detector.js';
import { eventually, testLogger } from './stack.js';

/** The keyring as WARDEN_KEYRING (the secrets keyringFor() gives each agent). */
export function keyringJsonFor(agentIds: string[]): string {
  return JSON.stringify(Object.fromEntries(agentIds.map((a) => [a, { k1: `test-secret-${a}-0123456789` }])));
}

/** A detector process (services/detector/main.ts) on the config's topics, Redis prefix and Redis (single or cluster). */
export function spawnDetector(config: WardenConfig, group: string, keyringJson: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'services/detector/main.ts'], {
    env: {
      ...process.env,
      WARDEN_TOPIC_EVENTS: config.topics.events.name,
      WARDEN_TOPIC_DLQ: config.topics.dlq.name,
      WARDEN_TOPIC_ALERTS: config.topics.alerts.name,
      WARDEN_TOPIC_QUARANTINE: config.topics.quarantine.name,
      WARDEN_TOPIC_SIEM: config.topics.siem.name,
      WARDEN_KAFKA_BROKERS: config.kafka.brokers.join(','),
      WARDEN_REDIS_URL: config.redis.url,
      ...(config.redis.cluster ? { WARDEN_REDIS_CLUSTER_NODES: config.redis.cluster.nodes.join(',') } : {}),
      WARDEN_REDIS_KEY_PREFIX: config.redis.keyPrefix,
      WARDEN_KEYRING: keyringJson,
      WARDEN_DETECTOR_GROUP: group,
      WARDEN_DETECTOR_CHECKPOINT_MS: String(config.detector.checkpointIntervalMs),
      WARDEN_METRICS_PORT: '0',
      WARDEN_LOG_LEVEL: process.env.CRASH_CHILD_LOG ?? 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

export async function topicSize(config: WardenConfig, topic: string): Promise<number> {
  const admin = createKafka(config, testLogger).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Records of agent.events whose effects are in the detector's stored state (from its covered offsets in Redis). */
export async function coveredRecords(config: WardenConfig, group: string): Promise<number> {
  const redis = createRedis(config);
  try {
    let sum = 0;
    for (let p = 0; p < config.topics.events.partitions; p++) {
      const v = await redis.get(coveredOffsetKey(group, config.topics.events.name, p));
      if (v !== null) sum += Number(v) + 1;
    }
    return sum;
  } finally {
    await redis.quit();
  }
}

export async function publishEvents(config: WardenConfig, keyring: Keyring, events: OutgoingEvent[]): Promise<void> {
  const p = new FleetPublisher(createKafka(config, testLogger), config, keyring);
  await p.connect();
  await p.publish(events);
  await p.disconnect();
}

/** Every alert on the config's alerts topic. */
export async function allAlerts(config: WardenConfig): Promise<Alert[]> {
  return readAlerts(config, await topicSize(config, config.topics.alerts.name));
}

/** An uninterrupted in-process detector over `events` (already published): the alerts it wrote. */
export async function referenceRun(config: WardenConfig, keyring: Keyring, events: number): Promise<Alert[]> {
  const detector = await startDetector(config, keyring);
  try {
    await eventually(async () => (await counterValue(detector, 'warden_detector_events_total')) >= events, 120_000, 'the reference run');
  } finally {
    await detector.stop();
  }
  return allAlerts(config);
}

/**
 * Missing and extra alerts of a run against the reference, described (agent/rule@firstSeen) so a
 * failure says which. Alerts on unverified events are compared by claimed agent only: their window
 * is the detector's receive clock (shared/detection/unverified.ts), so two runs a minute apart may
 * fall on either side of a window boundary and get other ids; what must hold is that every forged
 * identity is reported in both. Every other alert must keep its exact id.
 */
export function alertDiff(reference: Alert[], run: Alert[]): { missing: string[]; extra: string[] } {
  const isUnverified = (a: Alert) => a.tags.includes(UNVERIFIED_TAG);
  const keyOf = (a: Alert) => (isUnverified(a) ? `${a.agentId}/${a.ruleId}@unverified` : a.alertId);
  const describe = (a: Alert) => (isUnverified(a) ? keyOf(a) : `${a.agentId}/${a.ruleId}@${a.firstSeen}`);
  const refKeys = new Set(reference.map(keyOf));
  const runKeys = new Set(run.map(keyOf));
  const unique = (xs: string[]) => [...new Set(xs)].sort();
  return {
    missing: unique(reference.filter((a) => !runKeys.has(keyOf(a))).map(describe)),
    extra: unique(run.filter((a) => !refKeys.has(keyOf(a))).map(describe)),
  };
}
