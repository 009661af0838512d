/**
 * Kill the detector with SIGKILL mid-stream and restart it: the set of alert
 * ids equals that of an uninterrupted run over the same events. Works because
 * alerts are produced before state is written, state and covered offsets are
 * written in one Redis transaction, and alert ids are deterministic.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { FleetPublisher } from '../../cli/simulate/publisher.js';
import type { WardenConfig } from '../../shared/config/index.js';
import { createKafka } from '../../shared/kafka/index.js';
import { createRedis } from '../../shared/redis/index.js';
import { coveredOffsetKey } from '../../services/detector/stateStore.js';
import { counterValue, keyringFor, readAlerts, startDetector } from '../support/detector.js';
import { incidentFleet } from '../support/scenario.js';
import { eventually, isolatedConfig, provisionTopics, testLogger } from '../support/stack.js';

// 26 hours of steady traffic, incidents in the last 40 buckets: past the one-day
// learning period every spike is judged against the agent's own baseline, and the
// incidents bring nothing new to an agent. Why it matters: what an agent's role
// (peers) does is learned from all partitions, so its exact value depends on how
// partitions interleave, and a restart may shift an alert that depends on it (a
// new agent's spike, the peer rarity of a first-seen item). Everything judged on
// the agent's own state must come out exactly the same; that is what this checks.
// (See "Determinism" in shared/detection/README.md.)
const { events, agentIds } = incidentFleet(30, 26 * 12, 40);
const keyring = keyringFor(agentIds);
const keyringJson = JSON.stringify(Object.fromEntries(agentIds.map((a) => [a, { k1: `test-secret-${a}-0123456789` }])));
const children: ChildProcess[] = [];

function spawnDetector(config: WardenConfig, group: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/detector/main.ts'], {
    env: {
      ...process.env,
      WARDEN_TOPIC_EVENTS: config.topics.events.name,
      WARDEN_TOPIC_DLQ: config.topics.dlq.name,
      WARDEN_TOPIC_ALERTS: config.topics.alerts.name,
      WARDEN_TOPIC_QUARANTINE: config.topics.quarantine.name,
      WARDEN_TOPIC_SIEM: config.topics.siem.name,
      WARDEN_REDIS_KEY_PREFIX: config.redis.keyPrefix,
      WARDEN_KEYRING: keyringJson,
      WARDEN_DETECTOR_GROUP: group,
      WARDEN_METRICS_PORT: '0',
      WARDEN_LOG_LEVEL: process.env.CRASH_CHILD_LOG ?? 'warn',
      // Checkpoint often (default 5 s), so the kill lands between checkpoints and the restart re-reads
      // records its stored state already holds: they must be skipped, not replayed.
      WARDEN_DETECTOR_CHECKPOINT_MS: process.env.CRASH_CHECKPOINT_MS ?? '500',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  return child;
}

async function endOffsets(config: WardenConfig): Promise<number> {
  const admin = createKafka(config, testLogger).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(config.topics.events.name)).reduce((s, p) => s + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Records of agent.events whose effects are in the detector's stored state (from its covered offsets in Redis). */
async function covered(config: WardenConfig, group: string): Promise<number> {
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

async function alertTopicSize(config: WardenConfig): Promise<number> {
  const admin = createKafka(config, testLogger).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(config.topics.alerts.name)).reduce((s, p) => s + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function publish(config: WardenConfig, slice: typeof events): Promise<void> {
  const p = new FleetPublisher(createKafka(config, testLogger), config, keyring);
  await p.connect();
  await p.publish(slice);
  await p.disconnect();
}

describe('crash recovery', () => {
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('a SIGKILLed and restarted detector produces the same alert ids as an uninterrupted one', async () => {
    // Reference: an uninterrupted detector over the same events.
    const ref = isolatedConfig('crash-ref', { events: 3 });
    await provisionTopics(ref);
    await publish(ref, events);
    const refDetector = await startDetector(ref, keyring);
    await eventually(async () => (await counterValue(refDetector, 'warden_detector_events_total')) >= events.length, 120_000, 'the reference run');
    await refDetector.stop();
    const refAlerts = await readAlerts(ref, await alertTopicSize(ref));
    const refIds = new Set(refAlerts.map((a) => a.alertId));
    expect(refIds.size).toBeGreaterThanOrEqual(10);
    expect(new Set(refAlerts.map((a) => a.detector)).size).toBeGreaterThanOrEqual(3);

    // Crash run: half the events, kill mid-stream, the rest, restart.
    const run = isolatedConfig('crash-run', { events: 3 });
    await provisionTopics(run);
    const group = 'crash-detector';
    const half = Math.floor(events.length / 2);
    await publish(run, events.slice(0, half));
    const first = spawnDetector(run, group);
    await eventually(async () => (await covered(run, group)) > 0, 60_000, 'the first detector to commit a batch');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await covered(run, group);
    expect(atKill).toBeLessThan(events.length);

    await publish(run, events.slice(half));
    spawnDetector(run, group);
    const total = await endOffsets(run);
    expect(total).toBe(events.length);
    await eventually(async () => (await covered(run, group)) >= total, 120_000, 'the restarted detector to catch up');
    const runAlerts = await readAlerts(run, await alertTopicSize(run));
    const runIds = new Set(runAlerts.map((a) => a.alertId));

    const describeIds = (ids: string[], from: typeof refAlerts) => ids.map((id) => from.find((a) => a.alertId === id)).map((a) => `${a?.agentId}/${a?.ruleId}@${a?.firstSeen}`);
    const missing = describeIds([...refIds].filter((id) => !runIds.has(id)), refAlerts);
    const extra = describeIds([...runIds].filter((id) => !refIds.has(id)), runAlerts);
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    expect([...runIds].sort()).toEqual([...refIds].sort());
  }, 240_000); // two full runs over ~47,000 events on a shared 2-core machine
});
